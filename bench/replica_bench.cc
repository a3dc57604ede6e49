// Replica speed: applying a monitor snapshot of N Logical_Switch_Ports (decode +
// apply, rows/s), incremental update2 modifies, and look-ups by _uuid and by the
// "name" index. The rows look like what ovn-kubernetes writes for a pod.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ovsdb-proto/replica.h"
#include "tests/ovsdb-proto/replica_fixture.h"

namespace ovnk::ovsdb {
namespace {

std::string uuid_text(uint32_t i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", i, i);
  return buf;
}

std::string lsp_name(uint32_t i) {
  return "ns" + std::to_string(i % 100) + "_pod-" + std::to_string(i);
}

std::string ip_mac(uint32_t i) {
  char buf[64];
  unsigned b2 = (i >> 8) & 0xff;
  unsigned b3 = i & 0xff;
  std::snprintf(buf, sizeof buf, "0a:58:0a:f4:%02x:%02x 10.244.%u.%u", b2, b3, b2, b3);
  return buf;
}

// <table-updates2> with n "initial" rows of Logical_Switch_Port.
std::string snapshot_json(uint32_t n) {
  std::string s = "{\"Logical_Switch_Port\":{";
  for (uint32_t i = 0; i < n; ++i) {
    if (i > 0) s += ',';
    std::string addr = ip_mac(i);
    s += "\"" + uuid_text(i) + "\":{\"initial\":{\"name\":\"" + lsp_name(i) +
         "\",\"addresses\":\"" + addr + "\",\"port_security\":\"" + addr +
         "\",\"options\":[\"map\",[[\"iface-id-ver\",\"" + uuid_text(i + 1000000) +
         "\"],[\"requested-chassis\",\"node-1\"]]]"
         ",\"external_ids\":[\"map\",[[\"namespace\",\"ns" +
         std::to_string(i % 100) + "\"],[\"pod\",\"true\"]]]}}";
  }
  s += "}}";
  return s;
}

// update2 params modifying rows [first, first+count): "up" set and one
// external_ids key toggled.
std::string modify_json(uint32_t first, uint32_t count, bool up) {
  std::string s = "[\"nb\",{\"Logical_Switch_Port\":{";
  for (uint32_t i = first; i < first + count; ++i) {
    if (i > first) s += ',';
    s += "\"" + uuid_text(i) + "\":{\"modify\":{\"up\":" + (up ? "true" : "false") +
         ",\"external_ids\":[\"map\",[[\"ovn-installed\",\"true\"]]]}}";
  }
  s += "}}]";
  return s;
}

std::unique_ptr<Replica> make_replica() {
  return Replica::create(testing::nb_schema(), testing::all_tables()).value();
}

void BM_SnapshotApply(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  PaddedString json(snapshot_json(n));
  for (auto _ : state) {
    state.PauseTiming();
    auto replica = make_replica();
    state.ResumeTiming();
    auto r = replica->apply_monitor_reply(MonitorMethod::kMonitorCond, json.view());
    if (!r.ok()) state.SkipWithError(r.error().to_string().c_str());
    benchmark::DoNotOptimize(replica->table(size_t{1}).size());
    state.PauseTiming();
    replica.reset();  // freeing 100k rows is not the apply rate
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(json.size()));
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SnapshotApply)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_SnapshotDecodeOnly(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  PaddedString json(snapshot_json(n));
  MonitorLayout layout = testing::nb_layout();
  UpdateDecoder decoder(layout);
  for (auto _ : state) {
    auto u = decoder.table_updates(json.view(), UpdateFormat::kUpdate2);
    benchmark::DoNotOptimize(u.ok());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SnapshotDecodeOnly)->Arg(100000)->Unit(benchmark::kMillisecond);

// A resync with found=false where nothing changed: the diff against the current
// contents is the cost.
void BM_ResyncUnchanged(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  PaddedString json(snapshot_json(n));
  auto replica = make_replica();
  if (!replica->apply_monitor_reply(MonitorMethod::kMonitorCond, json.view()).ok()) std::abort();
  for (auto _ : state) {
    auto r = replica->apply_monitor_reply(MonitorMethod::kMonitorCond, json.view());
    benchmark::DoNotOptimize(r.ok());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ResyncUnchanged)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_Update2Modify(benchmark::State& state) {
  const uint32_t n = 100000;
  const auto batch = static_cast<uint32_t>(state.range(0));
  PaddedString json(snapshot_json(n));
  auto replica = make_replica();
  if (!replica->apply_monitor_reply(MonitorMethod::kMonitorCond, json.view()).ok()) std::abort();
  // Alternating updates so that every one really changes the rows.
  std::vector<PaddedString> updates;
  for (uint32_t first = 0; first + batch <= n; first += batch) {
    updates.emplace_back(modify_json(first, batch, (first / batch) % 2 == 0));
  }
  size_t i = 0;
  uint64_t applied = 0;
  uint64_t events = 0;
  auto watch = replica->watch("Logical_Switch_Port", [&](const RowChange&) { ++events; }).value();
  for (auto _ : state) {
    auto r = replica->apply_notification("update2", updates[i].view());
    if (!r.ok()) state.SkipWithError(r.error().to_string().c_str());
    applied += batch;
    i = (i + 1) % updates.size();
  }
  benchmark::DoNotOptimize(events);
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(applied), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Update2Modify)->Arg(1)->Arg(1000);

void BM_LookupUuid(benchmark::State& state) {
  const uint32_t n = 100000;
  PaddedString json(snapshot_json(n));
  auto replica = make_replica();
  if (!replica->apply_monitor_reply(MonitorMethod::kMonitorCond, json.view()).ok()) std::abort();
  const ReplicaTable& lsp = *replica->table("Logical_Switch_Port");
  std::vector<Uuid> keys;
  std::mt19937 rng(1);
  for (int i = 0; i < 4096; ++i)
    keys.push_back(Uuid::parse(uuid_text(static_cast<uint32_t>(rng() % n))).value());
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lsp.find(keys[i++ & 4095]));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LookupUuid);

void BM_LookupName(benchmark::State& state) {
  const uint32_t n = 100000;
  PaddedString json(snapshot_json(n));
  auto replica = make_replica();
  if (!replica->apply_monitor_reply(MonitorMethod::kMonitorCond, json.view()).ok()) std::abort();
  const ReplicaTable& lsp = *replica->table("Logical_Switch_Port");
  std::vector<Datum> keys;
  std::mt19937 rng(1);
  for (int i = 0; i < 4096; ++i)
    keys.push_back(Datum::string(lsp_name(static_cast<uint32_t>(rng() % n))));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lsp.find_by("name", keys[i++ & 4095]));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LookupName);

}  // namespace
}  // namespace ovnk::ovsdb
