#include "cni-frontend/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace ovnk::metrics {

namespace {

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                       (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? static_cast<size_t>(ptr - buf) : 0);
  }
}

void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

// {k="v",...,extra_key="extra_value"}; nothing when there are no labels.
void append_labels(std::string& out, const Labels& labels, std::string_view extra_key = {},
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return;
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out.push_back(',');
    first = false;
    out.append(k).append("=\"");
    append_escaped(out, v);
    out.push_back('"');
  }
  if (!extra_key.empty()) {
    if (!first) out.push_back(',');
    out.append(extra_key).append("=\"").append(extra_value).push_back('"');
  }
  out.push_back('}');
}

void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  buckets_.assign(bounds_.size(), 0);
}

void Histogram::observe(double value) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (it != bounds_.end()) ++buckets_[static_cast<size_t>(it - bounds_.begin())];
  ++count_;
  sum_ += value;
}

uint64_t Histogram::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t k = 0; k <= i && k < buckets_.size(); ++k) total += buckets_[k];
  return total;
}

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
}

struct Registry::Series {
  Labels labels;
  Counter counter;
  Gauge gauge;
  std::unique_ptr<Histogram> histogram;
};

struct Registry::Family {
  std::string name;
  std::string help;
  Type type;
  std::vector<std::unique_ptr<Series>> series;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::family(std::string_view name, std::string_view help, Type type) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) {
    if (it->second->type != type) std::abort();  // one name, two types: a programming error
    return *it->second;
  }
  if (!valid_name(name, true)) std::abort();
  auto fam = std::make_unique<Family>();
  fam->name = std::string(name);
  fam->help = std::string(help);
  fam->type = type;
  Family* raw = fam.get();
  families_.push_back(std::move(fam));
  by_name_.emplace(std::string(name), raw);
  return *raw;
}

Registry::Series& Registry::series(Family& fam, const Labels& labels, std::vector<double>* bounds) {
  for (auto& s : fam.series) {
    if (s->labels == labels) return *s;
  }
  for (const auto& [k, v] : labels) {
    // "le" is the histogram's own label; "__" prefixes are reserved.
    if (!valid_name(k, false) || k.rfind("__", 0) == 0 || k == "le") std::abort();
  }
  auto s = std::make_unique<Series>();
  s->labels = labels;
  if (bounds) s->histogram = std::make_unique<Histogram>(std::move(*bounds));
  fam.series.push_back(std::move(s));
  return *fam.series.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  return series(family(name, help, Type::kCounter), labels, nullptr).counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return series(family(name, help, Type::kGauge), labels, nullptr).gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds, const Labels& labels) {
  return *series(family(name, help, Type::kHistogram), labels, &bounds).histogram;
}

std::string Registry::render() const {
  std::string out;
  for (const auto& fam : families_) {
    out.append("# HELP ").append(fam->name).push_back(' ');
    append_help(out, fam->help);
    out.append("\n# TYPE ").append(fam->name);
    switch (fam->type) {
      case Type::kCounter: out.append(" counter\n"); break;
      case Type::kGauge: out.append(" gauge\n"); break;
      case Type::kHistogram: out.append(" histogram\n"); break;
    }
    for (const auto& s : fam->series) {
      if (fam->type != Type::kHistogram) {
        out.append(fam->name);
        append_labels(out, s->labels);
        out.push_back(' ');
        append_number(out, fam->type == Type::kCounter ? s->counter.value() : s->gauge.value());
        out.push_back('\n');
        continue;
      }
      const Histogram& h = *s->histogram;
      for (size_t i = 0; i < h.bounds().size(); ++i) {
        std::string le;
        append_number(le, h.bounds()[i]);
        out.append(fam->name).append("_bucket");
        append_labels(out, s->labels, "le", le);
        out.push_back(' ');
        out.append(std::to_string(h.cumulative(i))).push_back('\n');
      }
      out.append(fam->name).append("_bucket");
      append_labels(out, s->labels, "le", "+Inf");
      out.push_back(' ');
      out.append(std::to_string(h.count())).push_back('\n');
      out.append(fam->name).append("_sum");
      append_labels(out, s->labels);
      out.push_back(' ');
      append_number(out, h.sum());
      out.push_back('\n');
      out.append(fam->name).append("_count");
      append_labels(out, s->labels);
      out.push_back(' ');
      out.append(std::to_string(h.count())).push_back('\n');
    }
  }
  return out;
}

}  // namespace ovnk::metrics
