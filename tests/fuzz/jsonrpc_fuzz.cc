#include <cstdlib>
#include <string>
#include <string_view>

#include "ovsdb-proto/datum.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/schema.h"
#include "ovsdb-proto/transaction.h"
#include "tests/fuzz/fuzz_entry.h"

namespace ovnk::fuzz {

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Whatever parses as a message re-encodes to a message of the same kind, id,
// method and raw parts.
void message_round_trip(std::string_view input) {
  auto m = ovsdb::parse_message(input);
  if (!m.ok()) return;
  std::string again;
  switch (m->kind()) {
    case ovsdb::MessageKind::kRequest: {
      // Our encoder takes integer ids; other ids go through a reply instead.
      auto id = m->id_number();
      if (!id) return;
      again = ovsdb::encode_request(m->method(), m->params().text(), *id);
      break;
    }
    case ovsdb::MessageKind::kNotification:
      again = ovsdb::encode_notification(m->method(), m->params().text());
      break;
    case ovsdb::MessageKind::kReply: again = ovsdb::encode_reply(m->id(), m->result().text()); break;
    case ovsdb::MessageKind::kErrorReply: again = ovsdb::encode_error_reply(m->id(), m->error().text()); break;
  }
  auto m2 = ovsdb::parse_message(again);
  // The raw parts were skipped, not validated, by the first parse: an invalid
  // part may make the re-encoded message invalid. Only compare valid ones.
  if (!m2.ok()) return;
  check(m2->kind() == m->kind());
  check(m2->method() == m->method());
  check(m2->id() == m->id());
  // Each kind re-encodes only its own members ("result":null for error replies).
  switch (m->kind()) {
    case ovsdb::MessageKind::kRequest:
    case ovsdb::MessageKind::kNotification: check(m2->params().text() == m->params().text()); break;
    case ovsdb::MessageKind::kReply: check(m2->result().text() == m->result().text()); break;
    case ovsdb::MessageKind::kErrorReply: check(m2->error().text() == m->error().text()); break;
  }
  (void)m->error_text();
}

// Whatever decodes as a datum re-encodes to JSON that decodes to an equal datum.
void datum_round_trip(std::string_view input) {
  auto d = ovsdb::Datum::from_json(input);
  if (!d.ok()) return;
  std::string json = d->to_json();
  auto d2 = ovsdb::Datum::from_json(json);
  check(d2.ok());
  check(*d2 == *d);
  check(d2->to_json() == json);
  for (size_t i = 1; i < d->size(); ++i) check(d->keys()[i - 1] < d->keys()[i]);
}

void transaction_result(std::string_view input) {
  ovsdb::TransactionBuilder t("db");
  t.insert("T", {});
  t.select("T", {});
  t.mutate("T", {}, {});
  auto r = ovsdb::parse_transaction_result(input, t);
  if (!r.ok()) return;
  check(r->ops.size() == 3);
  (void)r->describe_failure(&t);
}

}  // namespace

int jsonrpc_one_input(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  message_round_trip(input);
  datum_round_trip(input);
  transaction_result(input);
  (void)ovsdb::DatabaseSchema::parse(input);
  return 0;
}

}  // namespace ovnk::fuzz

#ifdef OVNK_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ovnk::fuzz::jsonrpc_one_input(data, size);
}
#endif
