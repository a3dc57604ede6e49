#include "tests/fuzz/update_fuzz.h"

#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ovsdb-proto/replica.h"
#include "tests/ovsdb-proto/replica_fixture.h"

namespace ovnk::fuzz {

namespace {

using ovsdb::Datum;
using ovsdb::MonitorMethod;
using ovsdb::PaddedString;
using ovsdb::Replica;
using ovsdb::ReplicaTable;
using ovsdb::Row;
using ovsdb::RowChange;
using ovsdb::RowEvent;
using ovsdb::Uuid;

// Rows the replica holds before the fuzzed input, so that modify and delete
// reach existing rows.
constexpr std::string_view kStart = R"({
  "Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"initial":{"name":"sw0",
      "ports":["set",[["uuid","00000000-0000-0000-0000-000000000001"],
                      ["uuid","00000000-0000-0000-0000-000000000002"]]]}}},
  "Logical_Switch_Port":{
    "00000000-0000-0000-0000-000000000001":{"initial":{"name":"p1","tag":5,
        "addresses":["set",["a","b"]],"options":["map",[["k","v"],["x","y"]]]}},
    "00000000-0000-0000-0000-000000000002":{"initial":{"name":"p2","up":true}}},
  "Logical_Router_Port":{"00000000-0000-0000-0000-000000000003":{"initial":{"name":"r1",
      "networks":"10.0.0.1/24"}}},
  "Pair":{"00000000-0000-0000-0000-000000000004":{"initial":{"a":"x","b":1,"two":["set",["a","b"]]}}}})";

constexpr std::string_view kTxn = "11111111-2222-3333-4444-555555555555";

[[noreturn]] void fail() { std::abort(); }

std::string row_text(const ReplicaTable& t, const Row& row) {
  std::string s;
  for (uint32_t slot = 0; slot < t.layout().column_count(); ++slot) s += row[slot].to_json() + ";";
  return s;
}

using Shadow = std::map<std::pair<std::string, Uuid>, std::string>;

Shadow snapshot_of(const Replica& r) {
  Shadow s;
  for (size_t i = 0; i < r.table_count(); ++i) {
    const ReplicaTable& t = r.table(i);
    for (const Row& row : t) s[{t.name(), row.uuid()}] = row_text(t, row);
  }
  return s;
}

void check_invariants(const Replica& r) {
  for (size_t i = 0; i < r.table_count(); ++i) {
    const ReplicaTable& t = r.table(i);
    for (const Row& row : t) {
      if (t.find(row.uuid()) != &row) fail();
      if (row.columns().size() != t.layout().column_count()) fail();
      for (uint32_t slot = 0; slot < t.layout().column_count(); ++slot) {
        const ovsdb::ColumnType& type = t.layout().column(slot).type;
        const Datum& d = row[slot];
        if (d.size() < type.min || d.size() > type.max) fail();
        if (d.is_map() != type.is_map()) fail();
      }
      for (const std::vector<uint32_t>& index : t.layout().indexes()) {
        std::vector<std::string_view> names;
        std::vector<Datum> key;
        for (uint32_t slot : index) {
          names.push_back(t.layout().column(slot).name);
          key.push_back(row[slot]);
        }
        const Row* found = t.find_by_index(names, key);
        if (found == nullptr) fail();
        for (size_t k = 0; k < index.size(); ++k) {
          if (!((*found)[index[k]] == key[k])) fail();
        }
      }
    }
  }
}

}  // namespace

int update_one_input(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const ovsdb::DatabaseSchema schema = ovsdb::testing::nb_schema();
  auto created = Replica::create(schema, ovsdb::testing::all_tables());
  if (!created.ok()) fail();
  Replica& r = **created;

  // The shadow follows the callbacks only; it must always equal the contents.
  Shadow shadow;
  std::vector<std::unique_ptr<ovsdb::ReplicaWatch>> watches;
  for (size_t i = 0; i < r.table_count(); ++i) {
    auto w = r.watch(r.table(i).name(), [&shadow](const RowChange& c) {
      const Row* row = c.new_row != nullptr ? c.new_row : c.old_row;
      if (row == nullptr) fail();
      auto key = std::make_pair(c.table.name(), row->uuid());
      auto it = shadow.find(key);
      switch (c.event) {
        case RowEvent::kInsert:
          if (it != shadow.end() || c.old_row != nullptr) fail();
          shadow[key] = row_text(c.table, *c.new_row);
          break;
        case RowEvent::kModify: {
          if (it == shadow.end() || c.old_row == nullptr || c.new_row == nullptr) fail();
          if (it->second != row_text(c.table, *c.old_row)) fail();
          std::string now = row_text(c.table, *c.new_row);
          if (now == it->second) fail();  // a modify that changed nothing is not reported
          it->second = std::move(now);
          break;
        }
        case RowEvent::kDelete:
          if (it == shadow.end() || c.new_row != nullptr) fail();
          if (it->second != row_text(c.table, *c.old_row)) fail();
          shadow.erase(it);
          break;
      }
    });
    if (!w.ok()) fail();
    watches.push_back(std::move(w).value());
  }

  PaddedString start("[false,\"" + std::string(kTxn) + "\"," + std::string(kStart) + "]");
  if (!r.apply_monitor_reply(MonitorMethod::kMonitorCondSince, start.view()).ok()) fail();
  if (shadow != snapshot_of(r)) fail();

  const uint8_t mode = data[0];
  PaddedString input(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  const Shadow before = snapshot_of(r);
  Result<void> result;
  switch (mode % 6) {
    case 0:
      result = r.apply_notification("update2", input.view());
      break;
    case 1:
      result = r.apply_notification("update", input.view());
      break;
    case 2:
      result = r.apply_notification("update3", input.view());
      break;
    case 3:
      result = r.apply_monitor_reply(MonitorMethod::kMonitorCondSince, input.view());
      break;
    case 4:
      result = r.apply_monitor_reply(MonitorMethod::kMonitorCond, input.view());
      break;
    default:
      result = r.apply_monitor_reply(MonitorMethod::kMonitor, input.view());
      break;
  }
  const Shadow after = snapshot_of(r);
  if (!result.ok()) {
    if (after != before) fail();              // all or nothing
    if (r.last_txn_id().has_value()) fail();  // and no resuming past a lost update
    if (result.error().message.empty()) fail();
  }
  if (shadow != after) fail();
  check_invariants(r);
  return 0;
}

}  // namespace ovnk::fuzz

#ifdef OVNK_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ovnk::fuzz::update_one_input(data, size);
}
#endif
