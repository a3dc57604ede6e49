// A small metrics registry rendered in the Prometheus text format (0.0.4), for
// the daemon's GET /metrics. Any module can register its own series on the same
// registry (the daemon owns one and hands it around by reference).
//
// Model: a family is a metric name with one type and help text; a series is a
// family plus a set of label values. counter()/gauge()/histogram() return the
// series, creating it on first use; later calls with the same name and labels
// return the same object, so callers may look up once and keep the reference
// (series are never removed; references stay valid for the registry's life).
// Registering one name with two types, or a name or label key that Prometheus
// would refuse, is a programming error and aborts.
// Single thread, no locks, like the rest of the daemon. Pure: no clock, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ovnk::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double by = 1.0) { value_ += by > 0 ? by : 0; }  // counters never go down
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Gauge {
 public:
  void set(double v) { value_ = v; }
  void inc(double by = 1.0) { value_ += by; }
  void dec(double by = 1.0) { value_ -= by; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);  // upper bounds, sorted ascending
  void observe(double value);
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count of observations <= bounds()[i].
  uint64_t cumulative(size_t i) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> buckets_;  // per bucket, not cumulative
  uint64_t count_ = 0;
  double sum_ = 0;
};

// Latency buckets in seconds, from 1 ms to the kubelet's 2 min CRI timeout.
std::vector<double> latency_buckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // `bounds` is used when the series is created; later calls reuse the series.
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const Labels& labels = {});

  // The exposition text: families in registration order, "# HELP"/"# TYPE" once
  // per family, label values escaped (\\, \", \n).
  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series;
  struct Family;
  Family& family(std::string_view name, std::string_view help, Type type);
  Series& series(Family& family, const Labels& labels, std::vector<double>* bounds);

  std::vector<std::unique_ptr<Family>> families_;
  std::map<std::string, Family*, std::less<>> by_name_;
};

}  // namespace ovnk::metrics
