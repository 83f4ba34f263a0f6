// The files API of the Pebble server: the shared ContainerFiles (which
// resolves every path inside the root and never follows a link out of it)
// behind Pebble's request and response shapes.
#include <algorithm>

#include "ops/detail/pebble_multipart.hpp"
#include "server_state.hpp"

namespace ops::pebble_server::detail {

using nlohmann::json;
namespace model = ops::pebble::detail;

namespace {

model::FileOwner owner_of(const json& item) {
  return model::FileOwner{optional_int(item, "user-id"), optional_string(item, "user"),
                          optional_int(item, "group-id"), optional_string(item, "group")};
}

json error_item(const std::string& path, const pebble::PathError& e) {
  return json{{"path", path}, {"error", {{"kind", e.kind()}, {"message", e.message()}}}};
}

}  // namespace

Response State::get_files(const Request& request) {
  const std::string action = query_value(request, "action");
  const std::string path = query_value(request, "path");
  if (action == "read") {
    json item{{"path", path}};
    std::optional<std::string> content;
    try {
      content = files_.read(path);
    } catch (const pebble::PathError& e) {
      item = error_item(path, e);
    }
    ops::pebble::detail::MultipartWriter writer;
    if (content) writer.add("files", path, "application/octet-stream", *content);
    json envelope{
        {"type", "sync"}, {"status-code", 200}, {"status", "OK"}, {"result", json::array({item})}};
    writer.add("response", std::nullopt, "application/json", envelope.dump());
    return Response{200, writer.content_type(), writer.finish(), true};
  }
  if (action == "list") {
    return sync_response(json(files_.list(path, query_value(request, "pattern"),
                                          query_value(request, "itself") == "true")));
  }
  throw BadRequest{"invalid action " + model::go_quote(action)};
}

Response State::post_files(const Request& request) {
  auto type = request.headers.find("content-type");
  if (type != request.headers.end() && type->second.rfind("multipart/", 0) == 0) {
    return write_files(request);
  }
  const json body = parse_body(request);
  const std::string action = body.value("action", "");
  json result = json::array();
  if (action == "make-dirs") {
    if (!body.contains("dirs") || !body["dirs"].is_array()) throw BadRequest{"must specify dirs"};
    for (const auto& dir : body["dirs"]) {
      const std::string path = dir.value("path", "");
      try {
        files_.make_dir(path, {dir.value("make-parents", false),
                               optional_string(dir, "permissions").value_or(""), owner_of(dir)});
        result.push_back(json{{"path", path}});
      } catch (const pebble::PathError& e) {
        result.push_back(error_item(path, e));
      }
    }
    return sync_response(result);
  }
  if (action == "remove") {
    if (!body.contains("paths") || !body["paths"].is_array()) {
      throw BadRequest{"must specify paths"};
    }
    for (const auto& entry : body["paths"]) {
      const std::string path = entry.value("path", "");
      try {
        files_.remove(path, entry.value("recursive", false));
        result.push_back(json{{"path", path}});
      } catch (const pebble::PathError& e) {
        result.push_back(error_item(path, e));
      }
    }
    return sync_response(result);
  }
  if (action == "write") throw BadRequest{R"(must use multipart with "write" action)"};
  throw BadRequest{"invalid action " + model::go_quote(action)};
}

Response State::write_files(const Request& request) {
  std::vector<ops::pebble::detail::MultipartPart> parts;
  try {
    const auto boundary =
        ops::pebble::detail::multipart_boundary(request.headers.at("content-type"));
    parts = ops::pebble::detail::parse_multipart(request.body, boundary);
  } catch (const pebble::Error& e) {
    throw BadRequest{std::string("cannot parse multipart request: ") + e.what()};
  }
  if (parts.empty() || parts.front().name != "request") {
    throw BadRequest{"multipart request must start with a \"request\" part"};
  }
  const json req = json::parse(parts.front().body, nullptr, false);
  if (req.is_discarded() || req.value("action", "") != "write" || !req.contains("files") ||
      !req["files"].is_array()) {
    throw BadRequest{"multipart \"request\" must be a write action with files"};
  }
  if (req["files"].empty()) throw BadRequest{"must specify one or more files"};
  json result = json::array();
  for (const auto& file : req["files"]) {
    const std::string path = file.value("path", "");
    try {
      const auto part = std::find_if(parts.begin(), parts.end(), [&](const auto& candidate) {
        return candidate.name == "files" && candidate.filename == path;
      });
      if (part == parts.end()) {
        throw pebble::PathError("generic-file-error",
                                "no file content for path " + model::go_quote(path));
      }
      files_.write(path, part->body,
                   {file.value("make-dirs", false),
                    optional_string(file, "permissions").value_or(""), owner_of(file)});
      result.push_back(json{{"path", path}});
    } catch (const pebble::PathError& e) {
      result.push_back(error_item(path, e));
    }
  }
  return sync_response(result);
}

}  // namespace ops::pebble_server::detail
