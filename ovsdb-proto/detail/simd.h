// INTERNAL to ovsdb-proto/*.cc: simdjson helpers shared by the decoders (datum,
// schema, transaction results, monitor updates). Never include this from a
// public header: simdjson stays out of the project's interfaces.
//
// All decoding goes through the DOM API with a caller-owned parser (reuse one
// per connection/decoder to avoid reallocating its tape). Elements point into
// the parser: they die with the next parse on the same parser.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ovsdb-proto/datum.h"
#include "ovsdb-proto/json_value.h"
#include "ovsdb-proto/schema.h"

namespace ovnk::ovsdb::detail {

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING, "PaddedView must satisfy simdjson");

// An "ovsdb" domain error with the given errc code.
Error proto_error(int code, std::string_view message);

// Parses a padded text without copying it. Errors carry simdjson's message.
Result<simdjson::dom::element> parse_dom(simdjson::dom::parser& parser, PaddedView json);
// Copies into the parser's own padded buffer first (for unpadded input).
Result<simdjson::dom::element> parse_dom_copy(simdjson::dom::parser& parser, std::string_view json);

// A parser reused across calls of one thread for inputs below 1 MiB (saves
// the allocation of its buffers on every small decode); larger inputs get a
// fresh parser so that a one-off huge message does not pin its memory. Not
// reentrant: do not call a function that uses it while holding its elements.
class ScratchParser {
 public:
  explicit ScratchParser(size_t input_size);
  simdjson::dom::parser& get() { return *parser_; }

 private:
  std::unique_ptr<simdjson::dom::parser> owned_;
  simdjson::dom::parser* parser_;
};

// "object", "array", "string", "integer", "real", "boolean", "null".
std::string_view json_type_name(simdjson::dom::element_type type);

// ["uuid","xxxxxxxx-..."].
Result<Uuid> uuid_from_json(simdjson::dom::element e);
// One atom. With `type`, it must be of that atomic type (an integer is accepted
// for a real; constraints are not checked). Without, the JSON decides.
Result<Atom> atom_from_json(simdjson::dom::element e, const BaseType* type);
// See Datum::from_json.
Result<Datum> datum_from_json(simdjson::dom::element e, const ColumnType* type);

// Compact re-encoding of an element (for error details and raw fragments).
std::string to_json_text(simdjson::dom::element e);

}  // namespace ovnk::ovsdb::detail
