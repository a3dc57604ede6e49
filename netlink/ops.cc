#include "netlink/ops.h"

#include <memory>

namespace ovnk::netlink {

namespace {

// Rows of a dump (or a get), parsed as they arrive; the first parse error wins.
template <class T>
struct Collector {
  std::vector<T> rows;
  std::optional<Error> error;
};

template <class T, class Parse>
Result<uint32_t> collect_dump(NetlinkSocket& s, const Session::BuildFn& build, std::string what,
                              Parse parse, ResultFn<std::vector<T>> done) {
  auto c = std::make_shared<Collector<T>>();
  Session::Handler h;
  h.on_row = [c, parse](const Message& m) {
    if (c->error) return;
    Result<T> row = parse(m);
    if (row.ok()) {
      c->rows.push_back(std::move(row).value());
    } else {
      c->error = std::move(row).error();
    }
  };
  h.on_restart = [c] {
    c->rows.clear();
    c->error.reset();
  };
  h.on_done = [c, what = std::move(what), done = std::move(done)](Result<void> r) {
    if (!r.ok()) return done(std::move(r).error().with_context(what));
    if (c->error) return done(c->error->with_context(what));
    done(std::move(c->rows));
  };
  return s.dump(build, std::move(h));
}

// A request whose answer is one row then the ACK.
template <class T, class Parse>
Result<uint32_t> get_one(NetlinkSocket& s, const Session::BuildFn& build, std::string what, Parse parse,
                         ResultFn<T> done) {
  auto c = std::make_shared<Collector<T>>();
  auto on_row = [c, parse](const Message& m) {
    if (c->error || !c->rows.empty()) return;
    Result<T> row = parse(m);
    if (row.ok()) {
      c->rows.push_back(std::move(row).value());
    } else {
      c->error = std::move(row).error();
    }
  };
  auto on_done = [c, what = std::move(what), done = std::move(done)](Result<void> r) {
    if (!r.ok()) return done(std::move(r).error().with_context(what));
    if (c->error) return done(c->error->with_context(what));
    if (c->rows.empty()) return done(make_error("netlink", EBADMSG, what + ": acknowledged without a reply"));
    done(std::move(c->rows.front()));
  };
  return s.request(build, std::move(on_done), std::move(on_row));
}

}  // namespace

Result<uint32_t> ack_request(NetlinkSocket& s, const Session::BuildFn& build, std::string what,
                             ResultFn<void> done) {
  return s.request(build, [what = std::move(what), done = std::move(done)](Result<void> r) {
    if (!r.ok()) return done(std::move(r).error().with_context(what));
    done(ok_result());
  });
}

Result<uint32_t> get_link(NetlinkSocket& s, const LinkRef& link, ResultFn<LinkInfo> done) {
  return get_one<LinkInfo>(
      s, [link](Bytes& out, uint32_t seq) { return build_link_get(out, seq, link); },
      "get link " + link.to_string(), parse_link, std::move(done));
}

Result<uint32_t> dump_links(NetlinkSocket& s, ResultFn<std::vector<LinkInfo>> done) {
  return collect_dump<LinkInfo>(s, build_link_dump, "dump links", parse_link, std::move(done));
}

Result<uint32_t> dump_addresses(NetlinkSocket& s, uint8_t family,
                                ResultFn<std::vector<AddressInfo>> done) {
  return collect_dump<AddressInfo>(
      s, [family](Bytes& out, uint32_t seq) { return build_address_dump(out, seq, family); },
      "dump addresses", parse_address, std::move(done));
}

Result<uint32_t> dump_routes(NetlinkSocket& s, uint8_t family, ResultFn<std::vector<RouteInfo>> done) {
  return collect_dump<RouteInfo>(
      s, [family](Bytes& out, uint32_t seq) { return build_route_dump(out, seq, family); },
      "dump routes", parse_route, std::move(done));
}

Result<uint32_t> resolve_genl_family(NetlinkSocket& s, std::string name, ResultFn<GenlFamily> done) {
  std::string what = "resolve generic netlink family '" + name + "'";
  return get_one<GenlFamily>(
      s, [name](Bytes& out, uint32_t seq) { return build_genl_get_family(out, seq, name); },
      std::move(what), parse_genl_family, std::move(done));
}

Result<uint32_t> ethtool_get_features(NetlinkSocket& s, uint16_t family_id, const LinkRef& dev,
                                      ResultFn<Features> done) {
  return get_one<Features>(
      s,
      [family_id, dev](Bytes& out, uint32_t seq) {
        return build_ethtool_features_get(out, seq, family_id, dev);
      },
      "ethtool get features of " + dev.to_string(),
      [family_id](const Message& m) { return parse_ethtool_features(m, family_id); }, std::move(done));
}

Result<uint32_t> ethtool_set_features(NetlinkSocket& s, uint16_t family_id, const LinkRef& dev,
                                      std::vector<FeatureChange> changes, ResultFn<void> done) {
  return ack_request(
      s,
      [family_id, dev, changes = std::move(changes)](Bytes& out, uint32_t seq) {
        return build_ethtool_features_set(out, seq, family_id, dev, changes);
      },
      "ethtool set features of " + dev.to_string(), std::move(done));
}

Result<uint32_t> ethtool_set_features_checked(NetlinkSocket& s, uint16_t family_id, const LinkRef& dev,
                                              std::vector<FeatureChange> changes, ResultFn<FeaturesSetReply> done) {
  return get_one<FeaturesSetReply>(
      s,
      [family_id, dev, changes = std::move(changes)](Bytes& out, uint32_t seq) {
        return build_ethtool_features_set_with_reply(out, seq, family_id, dev, changes);
      },
      "ethtool set features of " + dev.to_string(),
      [family_id](const Message& m) { return parse_ethtool_features_set_reply(m, family_id); }, std::move(done));
}

}  // namespace ovnk::netlink
