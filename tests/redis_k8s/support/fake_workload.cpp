// FakeRedisWorkload: scripted answers, recorded commands.
#include "fake_workload.hpp"

#include <iterator>
#include <stdexcept>

namespace redis_k8s {

void FakeRedisWorkload::set_reply(Service service, const std::string& host,
                                  const std::vector<std::string>& argv, RedisReply reply) {
  exact_[{service, host, argv}] = {std::move(reply)};
}

void FakeRedisWorkload::set_replies(Service service, const std::string& host,
                                    const std::vector<std::string>& argv,
                                    std::vector<RedisReply> replies) {
  if (replies.empty()) throw std::invalid_argument("set_replies needs at least one reply");
  std::vector<Answer> answers(std::make_move_iterator(replies.begin()),
                              std::make_move_iterator(replies.end()));
  exact_[{service, host, argv}] = std::move(answers);
}

void FakeRedisWorkload::set_error(Service service, const std::string& host,
                                  const std::vector<std::string>& argv, ErrorKind kind,
                                  std::string message) {
  exact_[{service, host, argv}] = {Failure{kind, std::move(message)}};
}

void FakeRedisWorkload::set_default_reply(Service service, const std::string& host,
                                          RedisReply reply) {
  defaults_[{service, host}] = std::move(reply);
}

void FakeRedisWorkload::set_default_error(Service service, const std::string& host, ErrorKind kind,
                                          std::string message) {
  defaults_[{service, host}] = Failure{kind, std::move(message)};
}

void FakeRedisWorkload::forget_host(Service service, const std::string& host) {
  defaults_.erase({service, host});
  for (auto it = exact_.begin(); it != exact_.end();) {
    if (std::get<0>(it->first) == service && std::get<1>(it->first) == host) {
      it = exact_.erase(it);
    } else {
      ++it;
    }
  }
}

void FakeRedisWorkload::set_info_server(const std::string& host,
                                        const std::map<std::string, std::string>& fields) {
  std::string text = "# Server\r\n";
  for (const auto& [key, value] : fields) text += key + ":" + value + "\r\n";
  set_reply(Service::kRedis, host, {"INFO", "server"}, RedisReply::string(text));
}

void FakeRedisWorkload::set_role(const std::string& host, const std::string& role,
                                 const std::string& master) {
  RedisReply reply =
      role == "master"
          ? RedisReply::array(
                {RedisReply::string("master"), RedisReply::integer(0), RedisReply::array({})})
          : RedisReply::array({RedisReply::string(role), RedisReply::string(master),
                               RedisReply::integer(6379), RedisReply::string("connected"),
                               RedisReply::integer(0)});
  set_reply(Service::kRedis, host, {"ROLE"}, std::move(reply));
}

void FakeRedisWorkload::set_info_replication_sequence(
    const std::string& host,
    const std::vector<std::pair<long long, std::vector<long long>>>& master_and_replica_offsets) {
  std::vector<RedisReply> replies;
  for (const auto& [master_offset, replica_offsets] : master_and_replica_offsets) {
    std::string text = "# Replication\r\nrole:master\r\nconnected_slaves:" +
                       std::to_string(replica_offsets.size()) + "\r\n";
    for (std::size_t i = 0; i < replica_offsets.size(); ++i) {
      text += "slave" + std::to_string(i) + ":ip=replica-" + std::to_string(i) +
              ",port=6379,state=online,offset=" + std::to_string(replica_offsets[i]) + ",lag=0\r\n";
    }
    text += "master_repl_offset:" + std::to_string(master_offset) + "\r\n";
    replies.push_back(RedisReply::string(text));
  }
  set_replies(Service::kRedis, host, {"INFO", "replication"}, std::move(replies));
}

void FakeRedisWorkload::set_sentinel_master(const std::string& host, const std::string& app,
                                            const std::map<std::string, std::string>& fields) {
  set_reply(Service::kSentinel, host, {"SENTINEL", "MASTER", app}, RedisReply::flat_map(fields));
}

void FakeRedisWorkload::set_sentinel_master_sequence(
    const std::string& host, const std::string& app,
    const std::vector<std::map<std::string, std::string>>& answers) {
  std::vector<RedisReply> replies;
  for (const auto& fields : answers) replies.push_back(RedisReply::flat_map(fields));
  set_replies(Service::kSentinel, host, {"SENTINEL", "MASTER", app}, std::move(replies));
}

void FakeRedisWorkload::set_ckquorum(const std::string& host, const std::string& app, bool ok,
                                     int usable) {
  std::vector<std::string> argv{"SENTINEL", "CKQUORUM", app};
  if (ok) {
    set_reply(Service::kSentinel, host, argv,
              RedisReply::status("OK " + std::to_string(usable) +
                                 " usable Sentinels. Quorum and failover authorization can be "
                                 "reached"));
  } else {
    set_error(Service::kSentinel, host, argv, ErrorKind::kReply,
              "NOQUORUM " + std::to_string(usable) +
                  " usable Sentinels. Not enough available Sentinels to reach the specified "
                  "quorum for this master");
  }
}

void FakeRedisWorkload::accept_sentinel_writes(const std::string& host, const std::string& app,
                                               int quorum) {
  set_reply(Service::kSentinel, host, {"SENTINEL", "SET", app, "quorum", std::to_string(quorum)},
            RedisReply::status("OK"));
  set_reply(Service::kSentinel, host, {"SENTINEL", "RESET", app}, RedisReply::integer(1));
  set_reply(Service::kSentinel, host, {"SENTINEL", "FAILOVER", app}, RedisReply::status("OK"));
}

std::vector<std::vector<std::string>> FakeRedisWorkload::sent_to(Service service,
                                                                 const std::string& host) const {
  std::vector<std::vector<std::string>> out;
  for (const auto& c : sent_) {
    if (c.service == service && c.host == host) out.push_back(c.argv);
  }
  return out;
}

RedisReply FakeRedisWorkload::answer(const Answer& a) {
  if (const auto* reply = std::get_if<RedisReply>(&a)) return *reply;
  const auto& failure = std::get<Failure>(a);
  switch (failure.kind) {
    case ErrorKind::kConnection:
      throw RedisConnectionError(failure.message);
    case ErrorKind::kTimeout:
      throw RedisTimeoutError(failure.message);
    case ErrorKind::kReply:
      throw RedisReplyError(failure.message);
  }
  throw RedisError(failure.message);
}

RedisReply FakeRedisWorkload::execute(Service service, const std::string& host,
                                      const std::vector<std::string>& argv) {
  sent_.push_back({service, host, argv});
  if (auto it = exact_.find({service, host, argv}); it != exact_.end()) {
    std::vector<Answer>& answers = it->second;
    Answer next = answers.front();
    if (answers.size() > 1) answers.erase(answers.begin());
    return answer(next);
  }
  if (auto it = defaults_.find({service, host}); it != defaults_.end()) return answer(it->second);
  throw RedisConnectionError(
      "Error 111 connecting to " + host + ":" +
      std::to_string(service == Service::kRedis ? kRedisPort : kSentinelPort) +
      ". Connection refused.");
}

}  // namespace redis_k8s
