// OVSDB protocol codec speed: framing and decoding of large messages (MB/s),
// and encoding of a batched transaction (the shape the pod pipeline sends).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "ovsdb-proto/framing.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/schema.h"
#include "ovsdb-proto/transaction.h"

namespace ovnk::ovsdb {
namespace {

constexpr int kRows = 10000;

std::string fake_uuid(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", static_cast<unsigned>(i), static_cast<unsigned>(i));
  return buf;
}

// The columns of a pod's Logical_Switch_Port as ovsdb-server writes them.
std::string lsp_row(int i) {
  std::string ip = "10.244." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 2);
  return R"({"name":"default_pod-)" + std::to_string(i) + R"(","addresses":"0a:58:0a:f4:01:05 )" + ip +
         R"(","port_security":"0a:58:0a:f4:01:05 )" + ip +
         R"(","external_ids":["map",[["namespace","default"],["pod","true"]]],)"
         R"("options":["map",[["iface-id-ver","5f1b7a2c-1111-2222-3333-444455556666"],["requested-chassis","node1"]]],)"
         R"("enabled":true,"type":"","tag_request":["set",[]],"dynamic_addresses":["set",[]]})";
}

// {"id":null,"method":"update2","params":[mon,{"Logical_Switch_Port":{uuid:{"insert":row},...}}]}
std::string update2_message() {
  std::string s = R"({"id":null,"method":"update2","params":[["monid","OVN_Northbound"],{"Logical_Switch_Port":{)";
  for (int i = 0; i < kRows; ++i) {
    if (i) s += ",";
    s += "\"" + fake_uuid(i) + "\":{\"insert\":" + lsp_row(i) + "}";
  }
  s += "}}]}";
  return s;
}

// The reply to a select of every LSP: same rows, decodable with the schema.
std::string select_reply() {
  std::string s = R"({"id":7,"result":[{"rows":[)";
  for (int i = 0; i < kRows; ++i) {
    if (i) s += ",";
    std::string row = lsp_row(i);
    row.insert(1, "\"_uuid\":[\"uuid\",\"" + fake_uuid(i) + "\"],");
    s += row;
  }
  s += "]}],\"error\":null}";
  return s;
}

void BM_FrameOnly(benchmark::State& state) {
  std::string msg = update2_message();
  const size_t chunk = 64 * 1024;
  for (auto _ : state) {
    Framer f;
    size_t got = 0;
    for (size_t pos = 0; pos < msg.size(); pos += chunk) {
      f.feed(std::string_view(msg).substr(pos, chunk));
      auto r = f.next();
      if (r.ok() && r->has_value()) got += (**r).size();
    }
    benchmark::DoNotOptimize(got);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(msg.size()));
}
BENCHMARK(BM_FrameOnly)->Unit(benchmark::kMillisecond);

void BM_FrameAndParseEnvelope(benchmark::State& state) {
  std::string msg = update2_message();
  const size_t chunk = 64 * 1024;
  for (auto _ : state) {
    Framer f;
    for (size_t pos = 0; pos < msg.size(); pos += chunk) {
      f.feed(std::string_view(msg).substr(pos, chunk));
      auto r = f.next();
      if (r.ok() && r->has_value()) {
        auto m = parse_message(**r);
        benchmark::DoNotOptimize(m.ok());
      }
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(msg.size()));
}
BENCHMARK(BM_FrameAndParseEnvelope)->Unit(benchmark::kMillisecond);

// Framing + envelope + every datum decoded with its column type.
void BM_FrameParseDecodeRows(benchmark::State& state) {
  std::ifstream in("/usr/share/ovn/ovn-nb.ovsschema");
  std::stringstream ss;
  ss << in.rdbuf();
  auto schema = DatabaseSchema::parse(ss.str());
  if (!schema.ok()) {
    state.SkipWithError("no OVN NB schema");
    return;
  }
  TransactionBuilder txn("OVN_Northbound");
  txn.select("Logical_Switch_Port", {});
  std::string msg = select_reply();
  const size_t chunk = 64 * 1024;
  size_t rows = 0;
  for (auto _ : state) {
    Framer f;
    for (size_t pos = 0; pos < msg.size(); pos += chunk) {
      f.feed(std::string_view(msg).substr(pos, chunk));
      auto r = f.next();
      if (!r.ok() || !r->has_value()) continue;
      auto m = parse_message(**r);
      if (!m.ok()) continue;
      auto result = parse_transaction_result(m->result(), txn, &*schema);
      if (result.ok()) rows += result->ops[0].rows.size();
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(msg.size()));
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FrameParseDecodeRows)->Unit(benchmark::kMillisecond);

// One NB batch of the pod pipeline: 1000 LSP inserts with uuid-name and
// explicit uuid, then one mutate of the switch's ports.
void BM_EncodeTransaction1000Inserts(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::vector<Uuid> uuids;
  for (int i = 0; i < 1000; ++i) uuids.push_back(Uuid::generate(rng));
  Uuid ls = Uuid::generate(rng);
  size_t bytes = 0;
  for (auto _ : state) {
    TransactionBuilder t("OVN_Northbound");
    std::vector<Atom> ports;
    ports.reserve(1000);
    for (int i = 0; i < 1000; ++i) {
      std::string name = "lsp" + std::to_string(i);
      std::string addr = "0a:58:0a:f4:01:05 10.244.1." + std::to_string(i % 250);
      t.insert("Logical_Switch_Port",
               {{"name", Datum::string("default_pod-" + std::to_string(i))},
                {"addresses", Datum::string(addr)},
                {"port_security", Datum::string(addr)},
                {"external_ids", Datum::string_map({{"namespace", "default"}, {"pod", "true"}})},
                {"options", Datum::string_map({{"iface-id-ver", "5f1b7a2c-1111-2222-3333-444455556666"},
                                               {"requested-chassis", "node1"}})}},
               InsertOptions{name, uuids[static_cast<size_t>(i)]});
      ports.push_back(Atom::named_uuid(name));
    }
    t.mutate("Logical_Switch", {Condition::uuid_is(ls)}, {{"ports", Mutator::kInsert, Datum::set(std::move(ports))}});
    std::string req = t.request_json(1);
    bytes += req.size();
    benchmark::DoNotOptimize(req.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["inserts/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 1000.0, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EncodeTransaction1000Inserts)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ovnk::ovsdb
