#include "ovsdb-proto/json_value.h"

#include <cstring>

namespace ovnk::ovsdb {

namespace {
// Backs the views of empty strings so that they are padded too.
const char kEmptyPadded[kJsonPadding + 1] = {};
}  // namespace

PaddedString::PaddedString(std::string_view text) : size_(text.size()) {
  data_ = std::make_unique_for_overwrite<char[]>(text.size() + kJsonPadding);
  if (!text.empty()) std::memcpy(data_.get(), text.data(), text.size());
  std::memset(data_.get() + text.size(), 0, kJsonPadding);
}

PaddedView PaddedString::view() const {
  if (!data_) return PaddedView::assume_padded(std::string_view(kEmptyPadded, 0));
  return PaddedView::assume_padded(text());
}

}  // namespace ovnk::ovsdb
