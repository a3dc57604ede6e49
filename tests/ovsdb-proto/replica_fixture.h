// Shared by update_test.cc, replica_test.cc, the update fuzzer and the replica
// benchmark: a cut-down OVN_Northbound schema (the columns the agent uses, with
// their real types and the Logical_Switch_Port "name" index) plus a test table
// with a two-column index and bounded sets.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/monitor.h"
#include "ovsdb-proto/schema.h"

namespace ovnk::ovsdb::testing {

inline constexpr std::string_view kNbSchema = R"({
  "name": "OVN_Northbound",
  "version": "7.3.0",
  "tables": {
    "Logical_Switch": {
      "columns": {
        "name": {"type": "string"},
        "ports": {"type": {"key": {"type": "uuid", "refTable": "Logical_Switch_Port",
                                   "refType": "strong"},
                           "min": 0, "max": "unlimited"}},
        "other_config": {"type": {"key": "string", "value": "string",
                                  "min": 0, "max": "unlimited"}},
        "external_ids": {"type": {"key": "string", "value": "string",
                                  "min": 0, "max": "unlimited"}}},
      "isRoot": true},
    "Logical_Switch_Port": {
      "columns": {
        "name": {"type": "string"},
        "type": {"type": "string"},
        "addresses": {"type": {"key": "string", "min": 0, "max": "unlimited"}},
        "port_security": {"type": {"key": "string", "min": 0, "max": "unlimited"}},
        "options": {"type": {"key": "string", "value": "string",
                             "min": 0, "max": "unlimited"}},
        "external_ids": {"type": {"key": "string", "value": "string",
                                  "min": 0, "max": "unlimited"}},
        "tag": {"type": {"key": {"type": "integer", "minInteger": 1, "maxInteger": 4095},
                         "min": 0, "max": 1}},
        "up": {"type": {"key": "boolean", "min": 0, "max": 1}},
        "enabled": {"type": {"key": "boolean", "min": 0, "max": 1}},
        "dynamic_addresses": {"type": {"key": "string", "min": 0, "max": 1}}},
      "indexes": [["name"]],
      "isRoot": false},
    "Logical_Router_Port": {
      "columns": {
        "name": {"type": "string"},
        "mac": {"type": "string"},
        "networks": {"type": {"key": "string", "min": 1, "max": "unlimited"}}},
      "indexes": [["name"]],
      "isRoot": false},
    "Pair": {
      "columns": {
        "a": {"type": "string"},
        "b": {"type": "integer"},
        "weight": {"type": "real"},
        "two": {"type": {"key": "string", "min": 0, "max": 2}}},
      "indexes": [["a", "b"]],
      "isRoot": true}}
})";

inline DatabaseSchema nb_schema() {
  auto schema = DatabaseSchema::parse(kNbSchema);
  if (!schema.ok()) std::abort();  // the fixture itself is broken
  return std::move(schema).value();
}

inline MonitorRequest table_request(std::string table, std::vector<std::string> columns = {}) {
  MonitorRequest r;
  r.table = std::move(table);
  r.columns = std::move(columns);
  return r;
}

// Every table, every column.
inline std::vector<MonitorRequest> all_tables() {
  return {table_request("Logical_Switch"), table_request("Logical_Switch_Port"),
          table_request("Logical_Router_Port"), table_request("Pair")};
}

inline MonitorLayout nb_layout() {
  auto layout = MonitorLayout::create(nb_schema(), all_tables());
  if (!layout.ok()) std::abort();
  return std::move(layout).value();
}

}  // namespace ovnk::ovsdb::testing
