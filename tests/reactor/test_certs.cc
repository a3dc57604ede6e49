#include "tests/reactor/test_certs.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <vector>

namespace ovnk::reactor::testing {

// ---------------------------------------------------------------------------
// TempDir

// ---------------------------------------------------------------------------
// Certificates

namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertDeleter {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

Error openssl_error(std::string_view what) {
  std::string m(what);
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    m.append(": ").append(buf);
  }
  return make_error("tls", 0, m);
}

Result<Key> new_key() {
  // EVP_EC_gen() is a macro with a C cast; this is what it expands to.
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (key == nullptr) return openssl_error("generating a P-256 key");
  return Key(key);
}

Result<void> add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return openssl_error(std::string("extension ") + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return openssl_error(std::string("adding extension ") + value);
  return {};
}

struct Leaf {
  const char* common_name;
  const char* extended_key_usage;  // "serverAuth" / "clientAuth"
  const char* subject_alt_name;    // nullptr: none
};

// A certificate for `key`, signed by `issuer_key` (self-signed when issuer is null).
Result<Cert> make_cert(EVP_PKEY* key, const char* common_name, X509* issuer,
                       EVP_PKEY* issuer_key, long serial, const Leaf* leaf) {
  Cert cert(X509_new());
  if (!cert) return openssl_error("X509_new");
  X509* c = cert.get();
  X509_set_version(c, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 7L * 24 * 3600);
  X509_set_pubkey(c, key);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ovnk tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : c;
  X509_set_issuer_name(c, X509_get_subject_name(signer));
  OVNK_TRY(add_ext(c, signer, NID_subject_key_identifier, "hash"));
  OVNK_TRY(add_ext(c, signer, NID_authority_key_identifier, "keyid:always"));
  if (leaf == nullptr) {
    OVNK_TRY(add_ext(c, signer, NID_basic_constraints, "critical,CA:TRUE"));
    OVNK_TRY(add_ext(c, signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    OVNK_TRY(add_ext(c, signer, NID_basic_constraints, "critical,CA:FALSE"));
    OVNK_TRY(add_ext(c, signer, NID_key_usage, "critical,digitalSignature"));
    OVNK_TRY(add_ext(c, signer, NID_ext_key_usage, leaf->extended_key_usage));
    if (leaf->subject_alt_name != nullptr) {
      OVNK_TRY(add_ext(c, signer, NID_subject_alt_name, leaf->subject_alt_name));
    }
  }
  if (X509_sign(c, issuer_key, EVP_sha256()) == 0) return openssl_error("signing a certificate");
  return cert;
}

Result<void> write_cert(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return errno_error("io", errno, "open " + path);
  int ok = PEM_write_X509(f, cert);
  std::fclose(f);
  if (ok != 1) return openssl_error("writing " + path);
  return {};
}

Result<void> write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return errno_error("io", errno, "open " + path);
  int ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  if (ok != 1) return openssl_error("writing " + path);
  return {};
}

}  // namespace

Result<TestCerts> make_test_certs(const std::string& dir) {
  TestCerts out;
  out.ca_cert = dir + "/ca.pem";
  out.server_cert = dir + "/server.pem";
  out.server_key = dir + "/server-key.pem";
  out.client_cert = dir + "/client.pem";
  out.client_key = dir + "/client-key.pem";
  out.other_ca_cert = dir + "/other-ca.pem";

  OVNK_ASSIGN_OR_RETURN(Key ca_key, new_key());
  OVNK_ASSIGN_OR_RETURN(Cert ca, make_cert(ca_key.get(), "ovnk test CA", nullptr, ca_key.get(), 1,
                                           nullptr));
  Leaf server_leaf{"localhost", "serverAuth", "DNS:localhost,IP:127.0.0.1,IP:::1"};
  OVNK_ASSIGN_OR_RETURN(Key server_key, new_key());
  OVNK_ASSIGN_OR_RETURN(Cert server, make_cert(server_key.get(), "localhost", ca.get(),
                                               ca_key.get(), 2, &server_leaf));
  Leaf client_leaf{"ovnk-test-client", "clientAuth", nullptr};
  OVNK_ASSIGN_OR_RETURN(Key client_key, new_key());
  OVNK_ASSIGN_OR_RETURN(Cert client, make_cert(client_key.get(), "ovnk-test-client", ca.get(),
                                               ca_key.get(), 3, &client_leaf));
  OVNK_ASSIGN_OR_RETURN(Key other_key, new_key());
  OVNK_ASSIGN_OR_RETURN(Cert other, make_cert(other_key.get(), "unrelated CA", nullptr,
                                              other_key.get(), 4, nullptr));

  OVNK_TRY(write_cert(out.ca_cert, ca.get()));
  OVNK_TRY(write_cert(out.server_cert, server.get()));
  OVNK_TRY(write_key(out.server_key, server_key.get()));
  OVNK_TRY(write_cert(out.client_cert, client.get()));
  OVNK_TRY(write_key(out.client_key, client_key.get()));
  OVNK_TRY(write_cert(out.other_ca_cert, other.get()));
  return out;
}

// ---------------------------------------------------------------------------
// BulkPeer

namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t fnv(uint64_t hash, std::string_view data) {
  for (char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

void BytePattern::fill(char* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (left_ == 0) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      word_ = state_;
      left_ = 8;
    }
    out[i] = static_cast<char>(word_ & 0xff);
    word_ >>= 8;
    --left_;
  }
}

BulkPeer::BulkPeer(std::unique_ptr<Stream> s, size_t bytes, uint64_t seed)
    : stream(std::move(s)), to_send(bytes), received_hash(kFnvOffset), pattern_(seed) {
  stream->set_handler(this);
}

void BulkPeer::on_data(std::string_view data) {
  received += data.size();
  received_hash = fnv(received_hash, data);
}

void BulkPeer::pump() {
  static thread_local std::vector<char> chunk;
  while (sent < to_send && stream && stream->is_open()) {
    size_t n = std::min<size_t>(64u << 10, to_send - sent);
    chunk.resize(n);
    pattern_.fill(chunk.data(), n);
    sent += n;
    if (!stream->write(std::string_view(chunk.data(), n))) {
      ++refusals;
      return;
    }
  }
  if (sent == to_send && stream && stream->is_open()) stream->shutdown_write();
}

uint64_t BulkPeer::expected_hash(size_t size, uint64_t seed) {
  BytePattern pattern(seed);
  std::vector<char> buf(64u << 10);
  uint64_t hash = kFnvOffset;
  while (size > 0) {
    size_t n = std::min(size, buf.size());
    pattern.fill(buf.data(), n);
    hash = fnv(hash, std::string_view(buf.data(), n));
    size -= n;
  }
  return hash;
}

}  // namespace ovnk::reactor::testing
