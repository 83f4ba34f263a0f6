// HttpProxyCharm: backends from the http interface.
#include "charm.hpp"

#include <filesystem>
#include <fstream>

#include "ops/errors.hpp"
#include "ops/model.hpp"

namespace http_proxy {

std::string render_backends(const std::vector<charms::http::v0::Website>& sites) {
  std::string out = "backend websites\n";
  for (const auto& site : sites) {
    std::string name = site.remote_unit_name;
    for (char& c : name) {
      if (c == '/') c = '-';
    }
    out += "    server " + name + " " + site.hostname + ":" + std::to_string(site.port) + "\n";
  }
  return out;
}

HttpProxyCharm::HttpProxyCharm(ops::Framework& framework) : CharmBase(framework, "HttpProxyCharm") {
  framework.observe<&HttpProxyCharm::on_websites_changed>(backends_.websites_changed(), *this);
  framework.observe<&HttpProxyCharm::on_config_changed>(on.config_changed, *this);
  framework.observe<&HttpProxyCharm::on_start>(on.start, *this);
}

void HttpProxyCharm::on_websites_changed(charms::http::v0::WebsitesChangedEvent&) { render(); }

void HttpProxyCharm::on_config_changed(ops::ConfigChangedEvent&) { render(); }

void HttpProxyCharm::on_start(ops::StartEvent&) { render(); }

void HttpProxyCharm::render() {
  const auto sites = backends_.websites();
  const std::filesystem::path path = config().get<std::string>("config-file");
  if (path.empty() || !path.is_absolute()) {
    unit().set_status(ops::BlockedStatus("config-file must be an absolute path"));
    return;
  }
  std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << render_backends(sites);
    if (!out) throw ops::Error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);

  if (backends_.relations().empty()) {
    unit().set_status(ops::BlockedStatus(kNoRelationMessage));
  } else if (sites.empty()) {
    unit().set_status(ops::WaitingStatus(kWaitingMessage));
  } else {
    unit().set_status(ops::ActiveStatus(std::to_string(sites.size()) +
                                        (sites.size() == 1 ? " website" : " websites")));
  }
}

}  // namespace http_proxy
