// ByteQueue: a contiguous FIFO of bytes with cheap consumption from the front.
//
// Used for socket output queues and for input framing: data is appended at the
// back and consumed from the front; the consumed prefix is reclaimed lazily (when
// it is at least half the storage), so appends and consumes are amortised O(1)
// and readable() is always one contiguous view.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>
#include <vector>

namespace ovnk {

class ByteQueue {
 public:
  size_t size() const { return data_.size() - head_; }
  bool empty() const { return size() == 0; }

  std::string_view readable() const {
    return {data_.data() + head_, size()};
  }

  void append(std::string_view bytes) {
    compact_if_worth_it(bytes.size());
    data_.insert(data_.end(), bytes.begin(), bytes.end());
  }

  // Space for up to `n` more bytes at the back; commit(k) makes k of them readable.
  char* prepare(size_t n) {
    compact_if_worth_it(n);
    committed_ = data_.size();
    data_.resize(committed_ + n);
    return data_.data() + committed_;
  }
  void commit(size_t k) { data_.resize(committed_ + k); }

  void consume(size_t n) {
    head_ += n;
    if (head_ >= data_.size()) clear();
  }

  void clear() {
    data_.clear();
    head_ = 0;
  }

 private:
  void compact_if_worth_it(size_t incoming) {
    if (head_ > 0 && (head_ >= data_.size() / 2 || data_.size() + incoming > data_.capacity())) {
      std::memmove(data_.data(), data_.data() + head_, size());
      data_.resize(size());
      head_ = 0;
    }
  }

  std::vector<char> data_;
  size_t head_ = 0;
  size_t committed_ = 0;
};

}  // namespace ovnk
