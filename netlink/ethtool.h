// Ethtool over generic netlink, for the one thing the agent needs: switching a
// pod veth's TX offloads off (the userspace OVS datapath and Geneve need pod TX
// checksums computed in software, see shared/lab.md) and reading them back.
//
// Features are named by the kernel's netdev feature strings, not by ethtool's
// command-line aliases: `ethtool -K tx off sg off tso off gso off` becomes
// tx-checksum-* / tx-scatter-gather* / tx-tcp*-segmentation /
// tx-generic-segmentation. The set of names grows with kernels (6.18 added
// tx-tcp-accecn-segmentation) and a name the kernel does not know fails the
// whole request, so the pod offloads are chosen from what the device reports
// (pod_offload_changes on a FEATURES_GET reply), never from a fixed list.
// Requests use the verbose bitset form (names, no mask flag), so only the
// listed bits change; ETHTOOL_FLAG_OMIT_REPLY keeps the answer to a plain ACK,
// or the reply is asked for (compact bitsets) to learn what did not apply.
// Nested attributes carry NLA_F_NESTED: the ethtool family validates strictly.
// Pure code.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "netlink/link.h"
#include "netlink/message.h"

namespace ovnk::netlink {

inline constexpr std::string_view kEthtoolFamilyName = "ethtool";

// Whether a kernel feature name is a pod TX offload: TX checksums,
// scatter-gather, every TCP segmentation variant, generic segmentation.
bool is_pod_offload_feature(std::string_view name);

struct FeatureChange {
  std::string name;
  bool on = false;
};

// `dev` by index (preferred) or name, in the socket's netns.
Result<void> build_ethtool_features_set(Bytes& out, uint32_t seq, uint16_t family_id,
                                        const LinkRef& dev, std::span<const FeatureChange> changes);
// The same request with the kernel's reply asked for, in compact bitsets (no
// names): its WANTED bitset lists the bits where the device now differs from
// the request, so an empty one proves the change took effect without a read-back.
Result<void> build_ethtool_features_set_with_reply(Bytes& out, uint32_t seq, uint16_t family_id,
                                                   const LinkRef& dev, std::span<const FeatureChange> changes);
Result<void> build_ethtool_features_get(Bytes& out, uint32_t seq, uint16_t family_id,
                                        const LinkRef& dev);

struct FeatureBit {
  uint32_t index = 0;
  std::string name;
  bool on = false;
};

// One ethtool bitset: the bits listed in a verbose reply. With NOMASK only
// the set bits are listed; with a mask each listed bit has its value.
struct FeatureBits {
  std::vector<FeatureBit> bits;
  // nullopt when the name is not listed (with NOMASK that means "off").
  std::optional<bool> get(std::string_view name) const;
  bool is_on(std::string_view name) const { return get(name).value_or(false); }
};

struct Features {
  int ifindex = 0;
  std::string ifname;
  FeatureBits hw;        // changeable
  FeatureBits wanted;    // requested by user space
  FeatureBits active;    // in effect
  FeatureBits nochange;  // never changeable
};

Result<Features> parse_ethtool_features(const Message& m, uint16_t family_id);

// ETHTOOL_MSG_FEATURES_SET_REPLY.
struct FeaturesSetReply {
  FeatureBits unapplied;  // requested bits the device does not have as asked (empty = all applied)
  FeatureBits changed;    // active bits that changed, with their new values
};
Result<FeaturesSetReply> parse_ethtool_features_set_reply(const Message& m, uint16_t family_id);

// What to send to switch the pod offloads off: every pod offload the device
// can change (hw) and has active. Empty when there is nothing to do.
std::vector<FeatureChange> pod_offload_changes(const Features& current);
// Pod offloads the device can change that are still active (empty = done).
std::vector<std::string> pod_offloads_still_on(const Features& current);

}  // namespace ovnk::netlink
