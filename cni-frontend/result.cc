#include "cni-frontend/result.h"

#include <arpa/inet.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>

#include "cni-frontend/json_fields.h"

namespace ovnk::cni {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put_string(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void put_key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void put_field(Writer& w, std::string_view key, std::string_view value) {
  put_key(w, key);
  put_string(w, value);
}
void put_nonempty(Writer& w, std::string_view key, std::string_view value) {
  if (!value.empty()) put_field(w, key, value);
}
void put_strings(Writer& w, std::string_view key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  put_key(w, key);
  w.StartArray();
  for (const auto& v : values) put_string(w, v);
  w.EndArray();
}
template <class Int>
void put_int(Writer& w, std::string_view key, const std::optional<Int>& value) {
  if (!value) return;
  put_key(w, key);
  w.Int64(static_cast<int64_t>(*value));
}

std::string finish(const rapidjson::StringBuffer& buffer) {
  std::string out(buffer.GetString(), buffer.GetSize());
  out.push_back('\n');
  return out;
}

// --- address checks (inet_pton is pure: no socket, no clock) ---

bool is_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  char buf[INET6_ADDRSTRLEN];
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  unsigned char out[16];
  const int family = text.find(':') == std::string_view::npos ? AF_INET : AF_INET6;
  return inet_pton(family, buf, out) == 1;
}

bool is_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view ip = text.substr(0, slash);
  const std::string_view len = text.substr(slash + 1);
  if (!is_ip(ip) || len.empty() || len.size() > 3) return false;
  unsigned prefix = 0;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || ptr != len.data() + len.size()) return false;
  const unsigned max = ip.find(':') == std::string_view::npos ? 32 : 128;
  return prefix <= max;
}

// --- decoding ---

Result<std::vector<std::string>> read_strings(const json::Value& obj, std::string_view key,
                                              std::string_view ctx) {
  std::vector<std::string> out;
  OVNK_ASSIGN_OR_RETURN(auto arr, json::opt_array(obj, key, ctx));
  if (arr == nullptr) return out;
  for (size_t i = 0; i < arr->size(); ++i) {
    const std::string* s = (*arr)[i].as_string();
    if (s == nullptr) {
      return json::field_error(json::index_path(json::field_path(ctx, key), i), "must be a string");
    }
    out.push_back(*s);
  }
  return out;
}

Result<std::string> read_string(const json::Value& obj, std::string_view key, std::string_view ctx,
                                bool required) {
  OVNK_ASSIGN_OR_RETURN(auto s, json::opt_string(obj, key, ctx));
  if (!s) {
    if (required) return json::field_error(json::field_path(ctx, key), "is required");
    return std::string();
  }
  return std::string(*s);
}

Result<std::optional<uint32_t>> read_u32(const json::Value& obj, std::string_view key,
                                         std::string_view ctx) {
  OVNK_ASSIGN_OR_RETURN(auto i, json::opt_int(obj, key, ctx));
  if (!i) return std::optional<uint32_t>();
  if (*i < 0 || *i > static_cast<int64_t>(UINT32_MAX)) {
    return json::field_error(json::field_path(ctx, key), "is out of range");
  }
  return std::optional<uint32_t>(static_cast<uint32_t>(*i));
}

Result<CniInterface> read_interface(const json::Value& obj, const std::string& ctx) {
  OVNK_TRY(json::as_object(obj, ctx));
  CniInterface out;
  OVNK_ASSIGN_OR_RETURN(out.name, read_string(obj, "name", ctx, true));
  OVNK_ASSIGN_OR_RETURN(out.mac, read_string(obj, "mac", ctx, false));
  OVNK_ASSIGN_OR_RETURN(out.sandbox, read_string(obj, "sandbox", ctx, false));
  OVNK_ASSIGN_OR_RETURN(out.mtu, read_u32(obj, "mtu", ctx));
  OVNK_ASSIGN_OR_RETURN(out.socket_path, read_string(obj, "socketPath", ctx, false));
  OVNK_ASSIGN_OR_RETURN(out.pci_id, read_string(obj, "pciID", ctx, false));
  return out;
}

Result<CniIp> read_ip(const json::Value& obj, const std::string& ctx) {
  OVNK_TRY(json::as_object(obj, ctx));
  CniIp out;
  OVNK_ASSIGN_OR_RETURN(out.address, read_string(obj, "address", ctx, true));
  if (!is_cidr(out.address)) {
    return json::field_error(json::field_path(ctx, "address"),
                             quote_value(out.address) + " is not an address in CIDR notation");
  }
  OVNK_ASSIGN_OR_RETURN(out.gateway, read_string(obj, "gateway", ctx, false));
  if (!out.gateway.empty() && !is_ip(out.gateway)) {
    return json::field_error(json::field_path(ctx, "gateway"),
                             quote_value(out.gateway) + " is not an IP address");
  }
  OVNK_ASSIGN_OR_RETURN(out.interface, read_u32(obj, "interface", ctx));
  // "version" (0.3.x/0.4.0) is derived from the address when written back.
  return out;
}

Result<CniRoute> read_route(const json::Value& obj, const std::string& ctx) {
  OVNK_TRY(json::as_object(obj, ctx));
  CniRoute out;
  OVNK_ASSIGN_OR_RETURN(out.dst, read_string(obj, "dst", ctx, true));
  if (!is_cidr(out.dst)) {
    return json::field_error(json::field_path(ctx, "dst"),
                             quote_value(out.dst) + " is not a destination in CIDR notation");
  }
  OVNK_ASSIGN_OR_RETURN(out.gw, read_string(obj, "gw", ctx, false));
  if (!out.gw.empty() && !is_ip(out.gw)) {
    return json::field_error(json::field_path(ctx, "gw"), quote_value(out.gw) + " is not an IP address");
  }
  OVNK_ASSIGN_OR_RETURN(out.mtu, json::opt_int(obj, "mtu", ctx));
  OVNK_ASSIGN_OR_RETURN(out.advmss, json::opt_int(obj, "advmss", ctx));
  OVNK_ASSIGN_OR_RETURN(out.priority, json::opt_int(obj, "priority", ctx));
  OVNK_ASSIGN_OR_RETURN(out.table, json::opt_int(obj, "table", ctx));
  OVNK_ASSIGN_OR_RETURN(out.scope, json::opt_int(obj, "scope", ctx));
  return out;
}

template <class T, class Reader>
Result<std::vector<T>> read_list(const json::Value& obj, std::string_view key, Reader reader) {
  std::vector<T> out;
  OVNK_ASSIGN_OR_RETURN(auto arr, json::opt_array(obj, key, "result"));
  if (arr == nullptr) return out;
  for (size_t i = 0; i < arr->size(); ++i) {
    OVNK_ASSIGN_OR_RETURN(T item,
                          reader((*arr)[i], json::index_path(json::field_path("result", key), i)));
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

std::string encode_result(const CniResult& result, SpecVersion version) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  const bool v11 = has_1_1_result_fields(version);
  w.StartObject();
  put_field(w, "cniVersion", version_string(version));
  if (!result.interfaces.empty()) {
    put_key(w, "interfaces");
    w.StartArray();
    for (const auto& i : result.interfaces) {
      w.StartObject();
      put_field(w, "name", i.name);
      put_nonempty(w, "mac", i.mac);
      if (v11) put_int(w, "mtu", i.mtu);
      put_nonempty(w, "sandbox", i.sandbox);
      if (v11) {
        put_nonempty(w, "socketPath", i.socket_path);
        put_nonempty(w, "pciID", i.pci_id);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  if (!result.ips.empty()) {
    put_key(w, "ips");
    w.StartArray();
    for (const auto& ip : result.ips) {
      w.StartObject();
      if (has_ip_version_field(version)) put_field(w, "version", ip.is_ipv6() ? "6" : "4");
      put_int(w, "interface", ip.interface);
      put_field(w, "address", ip.address);
      put_nonempty(w, "gateway", ip.gateway);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!result.routes.empty()) {
    put_key(w, "routes");
    w.StartArray();
    for (const auto& r : result.routes) {
      w.StartObject();
      put_field(w, "dst", r.dst);
      put_nonempty(w, "gw", r.gw);
      if (v11) {
        put_int(w, "mtu", r.mtu);
        put_int(w, "advmss", r.advmss);
        put_int(w, "priority", r.priority);
        put_int(w, "table", r.table);
        put_int(w, "scope", r.scope);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  if (!result.dns.empty()) {
    put_key(w, "dns");
    w.StartObject();
    put_strings(w, "nameservers", result.dns.nameservers);
    put_nonempty(w, "domain", result.dns.domain);
    put_strings(w, "search", result.dns.search);
    put_strings(w, "options", result.dns.options);
    w.EndObject();
  }
  w.EndObject();
  return finish(buffer);
}

Result<CniResult> decode_result(std::string_view text) {
  OVNK_ASSIGN_OR_RETURN(const json::Value obj, json::parse(text, "result"));
  OVNK_TRY(json::as_object(obj, "result"));
  CniResult out;
  OVNK_ASSIGN_OR_RETURN(out.interfaces, read_list<CniInterface>(obj, "interfaces", read_interface));
  OVNK_ASSIGN_OR_RETURN(out.ips, read_list<CniIp>(obj, "ips", read_ip));
  OVNK_ASSIGN_OR_RETURN(out.routes, read_list<CniRoute>(obj, "routes", read_route));
  for (size_t i = 0; i < out.ips.size(); ++i) {
    const auto& idx = out.ips[i].interface;
    if (idx && *idx >= out.interfaces.size()) {
      return json::field_error(json::index_path("result.ips", i) + ".interface",
                               "points past the interfaces list");
    }
  }
  OVNK_ASSIGN_OR_RETURN(auto dns, json::opt_object(obj, "dns", "result"));
  if (dns != nullptr) {
    OVNK_ASSIGN_OR_RETURN(out.dns.nameservers, read_strings(*dns, "nameservers", "result.dns"));
    OVNK_ASSIGN_OR_RETURN(out.dns.domain, read_string(*dns, "domain", "result.dns", false));
    OVNK_ASSIGN_OR_RETURN(out.dns.search, read_strings(*dns, "search", "result.dns"));
    OVNK_ASSIGN_OR_RETURN(out.dns.options, read_strings(*dns, "options", "result.dns"));
  }
  return out;
}

std::string encode_error(const CniError& error, std::string_view cni_version) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put_field(w, "cniVersion", cni_version);
  put_key(w, "code");
  w.Int(error.code);
  put_field(w, "msg", error.msg.empty() ? code_description(error.code) : error.msg);
  put_nonempty(w, "details", error.details);
  w.EndObject();
  return finish(buffer);
}

Result<CniError> decode_error(std::string_view text) {
  OVNK_ASSIGN_OR_RETURN(const json::Value obj, json::parse(text, "error object"));
  OVNK_TRY(json::as_object(obj, "error object"));
  OVNK_ASSIGN_OR_RETURN(auto code, json::opt_int(obj, "code", "error"));
  OVNK_ASSIGN_OR_RETURN(auto msg, json::opt_string(obj, "msg", "error"));
  OVNK_ASSIGN_OR_RETURN(auto details, json::opt_string(obj, "details", "error"));
  if (!code || *code < 1 || *code > 1000000 || !msg) {
    return json::field_error("error", "needs an integer code >= 1 and a string msg");
  }
  CniError out;
  out.code = static_cast<int>(*code);
  out.msg = std::string(*msg);
  if (details) out.details = std::string(*details);
  return out;
}

std::string encode_version_reply(std::string_view cni_version) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put_field(w, "cniVersion", cni_version);
  put_key(w, "supportedVersions");
  w.StartArray();
  for (auto v : kSupportedVersions) put_string(w, v);
  w.EndArray();
  w.EndObject();
  return finish(buffer);
}

}  // namespace ovnk::cni
