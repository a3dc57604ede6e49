#include "agent/pod_spec.h"

#include <cerrno>

#include "cni-frontend/errors.h"
#include "cni-frontend/json_value.h"

namespace ovnk::agent {

using cni::json::Value;
using netlink::IpAddr;
using netlink::IpPrefix;
using netlink::MacAddr;

namespace {

Error bad(int code, std::string_view what, std::string_view problem) {
  return make_error(cni::kErrorDomain, code, std::string(what) + ": " + std::string(problem));
}

// The string elements of `v` (a string or an array of strings).
Result<std::vector<std::string>> strings_of(const Value* v, std::string_view what, int code) {
  std::vector<std::string> out;
  if (v == nullptr || v->is_null()) return out;
  if (const std::string* s = v->as_string()) {
    out.push_back(*s);
    return out;
  }
  const auto* arr = v->as_array();
  if (arr == nullptr) return bad(code, what, "must be a string or an array of strings");
  for (const Value& item : *arr) {
    const std::string* s = item.as_string();
    if (s == nullptr) return bad(code, what, "must hold strings only");
    out.push_back(*s);
  }
  return out;
}

// The first IPv4 CIDR of `list`; IPv6 ones are skipped (not supported yet).
Result<std::optional<IpPrefix>> first_v4_prefix(const std::vector<std::string>& list,
                                                std::string_view what, int code) {
  for (const std::string& text : list) {
    auto p = IpPrefix::parse(text);
    if (!p.ok() || text.find('/') == std::string::npos) {
      return bad(code, what, cni::quote_value(text) + " is not an address in CIDR form");
    }
    if (p->addr.is_v4()) return std::optional<IpPrefix>(*p);
  }
  return std::optional<IpPrefix>();
}

Result<PodNetwork> network_from_object(const Value& net, std::string_view what, int code) {
  if (net.as_object() == nullptr) return bad(code, what, "must be a JSON object");
  PodNetwork out;
  OVNK_ASSIGN_OR_RETURN(auto ips, strings_of(net.find("ip_addresses"), what, code));
  if (ips.empty()) {
    OVNK_ASSIGN_OR_RETURN(ips, strings_of(net.find("ip_address"), what, code));
  }
  OVNK_ASSIGN_OR_RETURN(auto v4, first_v4_prefix(ips, what, code));
  if (!v4) return bad(code, what, "has no IPv4 address in ip_addresses");
  out.address = *v4;
  if (const Value* m = net.find("mac_address"); m != nullptr && !m->is_null()) {
    const std::string* s = m->as_string();
    if (s == nullptr) return bad(code, what, "mac_address must be a string");
    auto mac = MacAddr::parse(*s);
    if (!mac.ok()) return bad(code, what, "mac_address " + cni::quote_value(*s) + " is not a MAC address");
    out.mac = *mac;
  }
  OVNK_ASSIGN_OR_RETURN(auto gws, strings_of(net.find("gateway_ips"), what, code));
  if (gws.empty()) {
    OVNK_ASSIGN_OR_RETURN(gws, strings_of(net.find("gateway_ip"), what, code));
  }
  for (const std::string& g : gws) {
    auto ip = IpAddr::parse(g);
    if (!ip.ok()) return bad(code, what, "gateway " + cni::quote_value(g) + " is not an IP address");
    if (ip->is_v4()) out.gateways.push_back(*ip);
  }
  if (const Value* routes = net.find("routes"); routes != nullptr && !routes->is_null()) {
    const auto* arr = routes->as_array();
    if (arr == nullptr) return bad(code, what, "routes must be an array");
    for (const Value& r : *arr) {
      const Value* dest = r.find("dest");
      const Value* hop = r.find("nextHop");
      if (dest == nullptr || dest->as_string() == nullptr) return bad(code, what, "a route has no \"dest\" string");
      auto dst = IpPrefix::parse(*dest->as_string());
      if (!dst.ok()) return bad(code, what, "route dest " + cni::quote_value(*dest->as_string()) + " is not a CIDR");
      if (!dst->addr.is_v4()) continue;
      RouteSpec spec{dst->network(), std::nullopt};
      if (hop != nullptr && !hop->is_null()) {
        if (hop->as_string() == nullptr) return bad(code, what, "route nextHop must be a string");
        auto gw = IpAddr::parse(*hop->as_string());
        if (!gw.ok()) return bad(code, what, "route nextHop " + cni::quote_value(*hop->as_string()) + " is not an IP");
        spec.gateway = *gw;
      }
      out.routes.push_back(spec);
    }
  }
  return out;
}

Result<PodNetwork> network_from_annotation(const Value& v, std::string_view what, int code) {
  if (const std::string* text = v.as_string()) return parse_pod_networks(*text, what, code);
  if (v.as_object() == nullptr) return bad(code, what, "must be a JSON object or a JSON string");
  const Value* def = v.find("default");
  if (def == nullptr) return bad(code, what, "has no \"default\" network");
  return network_from_object(*def, what, code);
}

}  // namespace

Result<PodNetwork> parse_pod_networks(std::string_view json, std::string_view what, int code) {
  auto v = cni::json::parse(json, what);
  if (!v.ok()) return bad(code, what, "is not valid JSON");
  if (v->as_object() == nullptr) return bad(code, what, "must be a JSON object");
  const Value* def = v->find("default");
  if (def == nullptr) return bad(code, what, "has no \"default\" network");
  return network_from_object(*def, what, code);
}

Result<LspAddress> parse_lsp_address(std::string_view entry) {
  auto words_begin = entry.find_first_not_of(' ');
  if (words_begin == std::string_view::npos) return make_error("ovn", EINVAL, "empty address");
  entry.remove_prefix(words_begin);
  size_t sp = entry.find(' ');
  std::string_view mac_text = entry.substr(0, sp);
  auto mac = MacAddr::parse(mac_text);
  if (!mac.ok()) return make_error("ovn", EINVAL, "address '" + std::string(entry) + "' has no MAC");
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : entry.substr(sp + 1);
  while (!rest.empty()) {
    size_t b = rest.find_first_not_of(' ');
    if (b == std::string_view::npos) break;
    rest.remove_prefix(b);
    size_t e = rest.find(' ');
    std::string_view word = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e);
    auto slash = word.find('/');
    auto ip = IpAddr::parse(word.substr(0, slash));
    if (ip.ok() && ip->is_v4()) return LspAddress{*mac, *ip};
  }
  return make_error("ovn", EINVAL, "address '" + std::string(entry) + "' has no IPv4 address");
}

std::string host_ifname_for(std::string_view container_id) {
  return std::string(container_id.substr(0, 15));
}

std::string lsp_name_for(std::string_view pod_namespace, std::string_view pod_name,
                         std::string_view container_id) {
  if (!pod_namespace.empty() && !pod_name.empty()) {
    return std::string(pod_namespace) + "_" + std::string(pod_name);
  }
  return std::string(container_id);
}

Result<PodSpec> pod_spec_from_request(const cni::CniRequest& request) {
  PodSpec spec;
  spec.container_id = request.container_id;
  spec.netns = request.netns;
  spec.ifname = request.ifname.empty() ? "eth0" : request.ifname;
  spec.pod_namespace = request.args.pod_namespace;
  spec.pod_name = request.args.pod_name;
  spec.pod_uid = request.args.pod_uid;
  spec.lsp_name = lsp_name_for(spec.pod_namespace, spec.pod_name, spec.container_id);
  spec.host_ifname = host_ifname_for(spec.container_id);
  spec.label = request.args.has_pod() ? spec.pod_namespace + "/" + spec.pod_name : spec.container_id;
  spec.ipam_from_ovn = request.config.ipam_mode == cni::IpamMode::kOvn;
  spec.mtu = request.config.mtu;

  const int kConfig = static_cast<int>(cni::Code::kInvalidConfig);
  const int kEnv = static_cast<int>(cni::Code::kInvalidEnvironment);

  // CNI_ARGS first, runtimeConfig wins (the runtime's structured channel).
  std::optional<IpPrefix> ip;
  std::optional<MacAddr> mac;
  for (const auto& [key, value] : request.args.unknown) {
    if (key == "k8s.ovn.org/pod-networks" || key == "K8S_POD_NETWORKS") {
      OVNK_ASSIGN_OR_RETURN(auto net, parse_pod_networks(value, "CNI_ARGS " + key, kEnv));
      spec.requested = std::move(net);
    } else if (key == "IP") {
      auto p = IpPrefix::parse(value);
      if (!p.ok() || !p->addr.is_v4()) return bad(kEnv, "CNI_ARGS IP", cni::quote_value(value) + " is not an IPv4 address");
      ip = *p;
    } else if (key == "MAC") {
      auto m = MacAddr::parse(value);
      if (!m.ok()) return bad(kEnv, "CNI_ARGS MAC", cni::quote_value(value) + " is not a MAC address");
      mac = *m;
    }
  }
  if (!request.config.json.empty()) {
    auto doc = cni::json::parse(request.config.json, "network config");
    if (doc.ok()) {
      if (const Value* rc = doc->find("runtimeConfig"); rc != nullptr && rc->as_object() != nullptr) {
        if (const Value* ann = rc->find("k8s.ovn.org/pod-networks"); ann != nullptr && !ann->is_null()) {
          OVNK_ASSIGN_OR_RETURN(auto net, network_from_annotation(*ann, "runtimeConfig k8s.ovn.org/pod-networks", kConfig));
          spec.requested = std::move(net);
        }
        OVNK_ASSIGN_OR_RETURN(auto ips, strings_of(rc->find("ips"), "runtimeConfig ips", kConfig));
        OVNK_ASSIGN_OR_RETURN(auto v4, first_v4_prefix(ips, "runtimeConfig ips", kConfig));
        if (v4) ip = v4;
        if (const Value* m = rc->find("mac"); m != nullptr && !m->is_null()) {
          if (m->as_string() == nullptr) return bad(kConfig, "runtimeConfig mac", "must be a string");
          auto parsed = MacAddr::parse(*m->as_string());
          if (!parsed.ok()) return bad(kConfig, "runtimeConfig mac", cni::quote_value(*m->as_string()) + " is not a MAC address");
          mac = *parsed;
        }
      }
    }
  }
  if (ip) {
    if (!spec.requested) spec.requested = PodNetwork{};
    spec.requested->address = *ip;
  }
  if (mac) {
    if (!spec.requested) return bad(kConfig, "requested MAC", "a MAC address was given without an IP address");
    spec.requested->mac = mac;
  }
  return spec;
}

}  // namespace ovnk::agent
