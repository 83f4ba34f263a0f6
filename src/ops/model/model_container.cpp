// Container: a workload container reached through its Pebble client.
#include <sys/stat.h>

#include <fstream>

#include "ops/charm.hpp"
#include "ops/model.hpp"

namespace ops {
namespace {

void require_names(const char* what, const std::vector<std::string>& names) {
  if (names.empty()) throw ModelError(std::string(what) + " needs at least one service name");
}

std::string join_path(const std::string& dir, const std::string& rest) {
  if (dir.empty()) return rest;
  return dir.back() == '/' ? dir + rest : dir + "/" + rest;
}

std::string basename_of(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string failures_message(const char* what,
                             const std::vector<std::pair<std::string, std::string>>& failures) {
  std::string message = std::string(what) + " failed for " + std::to_string(failures.size()) +
                        (failures.size() == 1 ? " path:" : " paths:");
  for (const auto& [path, error] : failures) message += " " + path + " (" + error + ");";
  message.pop_back();
  return message;
}

}  // namespace

Container::Container(Model& model, std::string name) : model_(model), name_(std::move(name)) {}

pebble::Client& Container::pebble() const {
  if (!client_) client_ = model_.make_pebble_client(name_);
  return *client_;
}

bool Container::can_connect() const {
  try {
    (void)pebble().get_system_info();
    return true;
  } catch (const pebble::Error&) {
    return false;
  }
}

void Container::add_layer(const std::string& label, const pebble::Layer& layer, bool combine) {
  pebble().add_layer(label, layer, combine);
}

void Container::add_layer(const std::string& label, const std::string& yaml, bool combine) {
  pebble().add_layer(label, pebble::Layer::from_yaml(yaml), combine);
}

pebble::Plan Container::get_plan() const { return pebble().get_plan(); }

void Container::autostart() { pebble().autostart_services(); }
void Container::replan() { pebble().replan_services(); }

void Container::start(const std::vector<std::string>& services) {
  require_names("start", services);
  pebble().start_services(services);
}

void Container::stop(const std::vector<std::string>& services) {
  require_names("stop", services);
  pebble().stop_services(services);
}

void Container::restart(const std::vector<std::string>& services) {
  require_names("restart", services);
  try {
    pebble().restart_services(services);
  } catch (const pebble::APIError& e) {
    if (e.code() != 400) throw;
    // An old Pebble without the "restart" action: stop what runs, start all.
    std::vector<std::string> running;
    for (const auto& info : pebble().get_services(services)) {
      if (info.is_running()) running.push_back(info.name);
    }
    if (!running.empty()) pebble().stop_services(running);
    pebble().start_services(services);
  }
}

std::map<std::string, pebble::ServiceInfo> Container::get_services(
    const std::vector<std::string>& names) const {
  std::map<std::string, pebble::ServiceInfo> out;
  for (auto& info : pebble().get_services(names)) out.emplace(info.name, std::move(info));
  return out;
}

pebble::ServiceInfo Container::get_service(const std::string& name) const {
  auto services = get_services({name});
  auto it = services.find(name);
  if (it == services.end()) throw ModelError("service '" + name + "' not found");
  return it->second;
}

std::map<std::string, pebble::CheckInfo> Container::get_checks(
    const std::vector<std::string>& names, pebble::CheckLevel level) const {
  std::map<std::string, pebble::CheckInfo> out;
  for (auto& info : pebble().get_checks(level, names)) out.emplace(info.name, std::move(info));
  return out;
}

pebble::CheckInfo Container::get_check(const std::string& name) const {
  auto checks = get_checks({name});
  auto it = checks.find(name);
  if (it == checks.end()) throw ModelError("check '" + name + "' not found");
  return it->second;
}

std::string Container::pull(const std::string& path) const { return pebble().pull(path); }

void Container::push(const std::string& path, std::string_view data,
                     const pebble::PushOptions& options) {
  pebble().push(path, data, options);
}

void Container::push_path(const std::vector<std::filesystem::path>& sources,
                          const std::string& dest_dir) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> failures;
  auto push_file = [&](const fs::path& local, const std::string& remote) {
    try {
      std::ifstream in(local, std::ios::binary);
      if (!in) throw ModelError("cannot read local file");
      struct stat st {};
      pebble::PushOptions options;
      options.make_dirs = true;
      if (::stat(local.c_str(), &st) == 0)
        options.permissions = static_cast<int>(st.st_mode & 0777);
      pebble().push(remote, in, options);
    } catch (const Error& e) {
      failures.emplace_back(local.string(), e.what());
    }
  };
  for (const auto& source : sources) {
    std::error_code ec;
    const fs::path& src = source;
    std::string top = join_path(dest_dir, basename_of(src.string()));
    if (fs::is_directory(src, ec)) {
      for (auto it = fs::recursive_directory_iterator(src, ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        std::string relative = fs::relative(it->path(), src).generic_string();
        if (it->is_directory()) {
          try {
            pebble::MakeDirOptions options;
            options.make_parents = true;
            pebble().make_dir(join_path(top, relative), options);
          } catch (const Error& e) {
            failures.emplace_back(it->path().string(), e.what());
          }
        } else {
          push_file(it->path(), join_path(top, relative));
        }
      }
      if (ec) failures.emplace_back(src.string(), ec.message());
    } else if (fs::exists(src, ec)) {
      push_file(src, top);
    } else {
      failures.emplace_back(src.string(), "no such local file or directory");
    }
  }
  if (!failures.empty()) throw ModelError(failures_message("push_path", failures));
}

void Container::pull_path(const std::vector<std::string>& sources,
                          const std::filesystem::path& dest_dir) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> failures;
  auto pull_file = [&](const std::string& remote, const fs::path& local) {
    try {
      fs::create_directories(local.parent_path());
      std::ofstream out(local, std::ios::binary | std::ios::trunc);
      if (!out) throw ModelError("cannot write local file " + local.string());
      pebble().pull(remote, out);
    } catch (const Error& e) {
      failures.emplace_back(remote, e.what());
    } catch (const fs::filesystem_error& e) {
      failures.emplace_back(remote, e.what());
    }
  };
  // Walks a container directory depth-first, mirroring it under `local`.
  std::function<void(const std::string&, const fs::path&)> pull_dir = [&](const std::string& remote,
                                                                          const fs::path& local) {
    std::vector<pebble::FileInfo> entries;
    try {
      entries = pebble().list_files(remote);
      fs::create_directories(local);
    } catch (const Error& e) {
      failures.emplace_back(remote, e.what());
      return;
    } catch (const fs::filesystem_error& e) {
      failures.emplace_back(remote, e.what());
      return;
    }
    for (const auto& entry : entries) {
      std::string child = join_path(remote, entry.name);
      if (entry.type == pebble::FileType::kDirectory) {
        pull_dir(child, local / entry.name);
      } else if (entry.type == pebble::FileType::kFile) {
        pull_file(child, local / entry.name);
      }
    }
  };
  for (const auto& source : sources) {
    std::vector<pebble::FileInfo> self;
    try {
      pebble::ListFilesOptions options;
      options.itself = true;
      self = pebble().list_files(source, options);
    } catch (const Error& e) {
      failures.emplace_back(source, e.what());
      continue;
    }
    fs::path local = dest_dir / basename_of(source);
    if (!self.empty() && self.front().type == pebble::FileType::kDirectory) {
      pull_dir(source, local);
    } else {
      pull_file(source, local);
    }
  }
  if (!failures.empty()) throw ModelError(failures_message("pull_path", failures));
}

std::vector<pebble::FileInfo> Container::list_files(const std::string& path,
                                                    const pebble::ListFilesOptions& options) const {
  return pebble().list_files(path, options);
}

void Container::make_dir(const std::string& path, const pebble::MakeDirOptions& options) {
  pebble().make_dir(path, options);
}

void Container::remove_path(const std::string& path, bool recursive) {
  pebble().remove_path(path, recursive);
}

bool Container::exists(const std::string& path) const {
  try {
    pebble::ListFilesOptions options;
    options.itself = true;
    (void)pebble().list_files(path, options);
    return true;
  } catch (const pebble::APIError& e) {
    if (e.code() == 404) return false;
    throw;
  } catch (const pebble::PathError& e) {
    if (e.kind() == "not-found") return false;
    throw;
  }
}

bool Container::isdir(const std::string& path) const {
  try {
    pebble::ListFilesOptions options;
    options.itself = true;
    auto files = pebble().list_files(path, options);
    return !files.empty() && files.front().type == pebble::FileType::kDirectory;
  } catch (const pebble::APIError& e) {
    if (e.code() == 404) return false;
    throw;
  } catch (const pebble::PathError& e) {
    if (e.kind() == "not-found") return false;
    throw;
  }
}

std::unique_ptr<pebble::ExecProcess> Container::exec(const std::vector<std::string>& command,
                                                     const pebble::ExecOptions& options) {
  if (command.empty()) throw ModelError("exec needs a command");
  return pebble().exec(command, options);
}

void Container::send_signal(const std::string& signal, const std::vector<std::string>& services) {
  require_names("send_signal", services);
  pebble().send_signal(signal, services);
}

std::vector<pebble::Notice> Container::get_notices(const pebble::NoticesFilter& filter) const {
  return pebble().get_notices(filter);
}

pebble::Notice Container::get_notice(const std::string& id) const {
  try {
    return pebble().get_notice(id);
  } catch (const pebble::APIError& e) {
    // As ops: a notice Pebble does not have is a ModelError.
    if (e.code() == 404) throw ModelError("notice '" + id + "' not found");
    throw;
  }
}

// ------------------------------------------------ Unit and Model containers

Container& Unit::get_container(const std::string& name) {
  require_ours("get a container");
  return model_.container_object(name);
}

std::map<std::string, Container*> Unit::containers() {
  require_ours("list the containers");
  std::map<std::string, Container*> out;
  for (const auto& [name, meta] : model_.meta().containers) {
    out[name] = &model_.container_object(name);
  }
  return out;
}

Container& Model::container_object(const std::string& name) {
  auto it = containers_.find(name);
  if (it != containers_.end()) return *it->second;
  if (!meta_.containers.count(name)) {
    std::string declared;
    for (const auto& [n, m] : meta_.containers) declared += (declared.empty() ? "" : ", ") + n;
    throw ModelError("container '" + name + "' not found (the charm declares: " +
                     (declared.empty() ? "(none)" : declared) + ")");
  }
  return *containers_.emplace(name, std::make_unique<Container>(*this, name)).first->second;
}

void Model::set_pebble_client_factory(PebbleClientFactory factory) {
  pebble_factory_ = std::move(factory);
}

std::unique_ptr<pebble::Client> Model::make_pebble_client(const std::string& container_name) {
  if (pebble_factory_) return pebble_factory_(container_name);
  return pebble::make_client(pebble::socket_path(container_name));
}

}  // namespace ops
