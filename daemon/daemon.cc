#include "daemon/daemon.h"

#include <linux/netlink.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "agent/ovn_rows.h"
#include "base/log.h"
#include "netlink/netns.h"

namespace ovnk::daemon {

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonConfig config) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(config)));
  OVNK_TRY(d->init());
  return d;
}

Result<void> Daemon::init() {
  // The loop: io_uring may be refused (old kernel, seccomp): say so, use libuv.
  auto loop = reactor::Loop::create(config_.backend);
  if (!loop.ok() && config_.backend == reactor::Backend::kIoUring) {
    LOG_WARN("io_uring_unavailable", log::kv("error", loop.error()), log::kv("fallback", "uv"));
    loop = reactor::Loop::create(reactor::Backend::kLibuv);
  }
  if (!loop.ok()) return std::move(loop).error().with_context("event loop");
  loop_ = std::move(loop).value();
  LOG_INFO("daemon_starting", log::kv("node", config_.node), log::kv("backend", reactor::backend_name(loop_->backend())),
           log::kv("nb", config_.nb_remote), log::kv("ovs", config_.ovs_remote),
           log::kv("node_subnet", config_.node_subnet.to_string()), log::kv("socket", config_.cni_socket),
           log::kv("mtu", config_.mtu), log::kv("batch_max", config_.batch_max),
           log::kv("batch_interval_ms", std::chrono::duration_cast<std::chrono::milliseconds>(config_.batch_interval).count()));

  OVNK_TRY(watch_signals());
  OVNK_TRY(netlink::save_host_netns());
  auto host = netlink::NetlinkSocket::open(*loop_, NETLINK_ROUTE);
  if (!host.ok()) return std::move(host).error().with_context("host netlink socket");
  host_netlink_ = std::move(host).value();
  linker_ = std::make_unique<netlink::PodLinker>(*loop_, *host_netlink_);

  ovsdb::SessionOptions nbo;
  nbo.remotes = config_.nb_remote;
  nbo.database = std::string(agent::kNbDatabase);
  nbo.monitor = agent::nb_monitor_requests();
  nbo.leader_only = true;
  nbo.queue_timeout = std::chrono::seconds(30);
  nbo.name = "nb";
  if (!config_.nb_client_privkey.empty()) {
    nbo.tls = ovsdb::TlsFiles{config_.nb_client_privkey, config_.nb_client_cert, config_.nb_client_cacert};
  }
  ovsdb::SessionHooks nbh;
  nbh.on_ready = [this](const ovsdb::ReadyInfo&) {
    if (manager_) manager_->on_nb_ready();
    if (management_port_) management_port_->on_nb_ready();
  };
  nbh.on_disconnected = [this](const Error& e) {
    LOG_WARN("nb_disconnected", log::kv("error", e));
    if (manager_) manager_->on_disconnected();
  };
  auto nb = ovsdb::Session::create(*loop_, std::move(nbo), std::move(nbh));
  if (!nb.ok()) return std::move(nb).error().with_context("--nb " + config_.nb_remote);
  nb_ = std::move(nb).value();

  ovsdb::SessionOptions ovso;
  ovso.remotes = config_.ovs_remote;
  ovso.database = std::string(agent::kOvsDatabase);
  ovso.monitor = agent::with_node_columns(agent::ovs_monitor_requests());
  ovso.leader_only = false;
  ovso.queue_timeout = std::chrono::seconds(30);
  ovso.name = "ovs";
  ovsdb::SessionHooks ovsh;
  ovsh.on_ready = [this](const ovsdb::ReadyInfo&) {
    if (node_ovs_config_) node_ovs_config_->on_ovs_ready();
    if (manager_) manager_->on_ovs_ready();
    if (management_port_) management_port_->on_ovs_ready();
  };
  ovsh.on_disconnected = [this](const Error& e) {
    LOG_WARN("ovs_disconnected", log::kv("error", e));
    if (manager_) manager_->on_disconnected();
  };
  auto ovs = ovsdb::Session::create(*loop_, std::move(ovso), std::move(ovsh));
  if (!ovs.ok()) return std::move(ovs).error().with_context("--ovs " + config_.ovs_remote);
  ovs_ = std::move(ovs).value();

  agent::AgentOptions ao;
  ao.node = config_.node;
  ao.node_subnet = config_.node_subnet;
  ao.cluster_cidr = config_.cluster_cidr;
  ao.mtu = config_.mtu;
  ao.offloads_off = config_.offloads_off;
  ao.bridge = config_.bridge;
  ao.batch_max = config_.batch_max;
  ao.batch_interval = config_.batch_interval;
  ao.ready_timeout = config_.ready_timeout;
  ao.reconcile_interval = config_.reconcile_interval;
  ao.create_topology = config_.create_topology;
  auto manager = agent::PodManager::create(*loop_, *nb_, *ovs_, *host_netlink_, *linker_, registry_, ao);
  if (!manager.ok()) return std::move(manager).error();
  manager_ = std::move(manager).value();
  handler_ = std::make_unique<agent::AgentCniHandler>(*manager_);

  agent::NodeOvsConfig nc;
  nc.system_id = config_.system_id;
  nc.ovn_remote = config_.ovn_remote;
  nc.encap_type = config_.encap_type;
  nc.encap_ip = config_.encap_ip;
  nc.bridge_mappings = config_.bridge_mappings;
  if (!nc.desired().empty()) node_ovs_config_ = std::make_unique<agent::NodeOvsConfigWriter>(*loop_, *ovs_, nc);
  if (config_.management_port) {
    agent::ManagementPortOptions mo;
    mo.node = config_.node;
    mo.bridge = config_.bridge;
    mo.node_subnet = config_.node_subnet;
    if (config_.cluster_cidr) mo.cluster_cidrs.push_back(*config_.cluster_cidr);
    mo.mtu = config_.mtu;
    mo.create_lsp = config_.create_topology;
    mo.recheck_interval = config_.reconcile_interval;
    management_port_ = agent::ManagementPort::create(*loop_, *nb_, *ovs_, *host_netlink_, std::move(mo));
  } else {
    LOG_INFO("management_port_disabled", log::kv("node", config_.node), log::kv("port", agent::kManagementPortName));
  }

  cni::CniServerOptions so;
  so.socket_path = config_.cni_socket;
  auto server = cni::CniServer::start(*loop_, *handler_, registry_, so);
  if (!server.ok()) return std::move(server).error();
  server_ = std::move(server).value();
  return ok_result();
}

Result<void> Daemon::watch_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  // Blocked, so that they queue on the signalfd instead of killing us.
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return errno_error("io", errno, "sigprocmask");
  ::signal(SIGPIPE, SIG_IGN);
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return errno_error("io", errno, "signalfd");
  signal_watch_ = loop_->watch_fd(signal_fd_, reactor::kReadable, [this](reactor::FdEvents) { on_signal(); });
  return ok_result();
}

void Daemon::on_signal() {
  signalfd_siginfo info{};
  ssize_t n = ::read(signal_fd_, &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return;
  LOG_INFO("daemon_stopping", log::kv("signal", info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT"),
           log::kv("pods", manager_ ? manager_->pod_count() : 0));
  loop_->stop();
}

Result<void> Daemon::run() {
  nb_->start();
  ovs_->start();
  Result<void> r = loop_->run();
  teardown();
  return r;
}

void Daemon::teardown() {
  // Reverse order of dependencies; anything deferred by these destructors
  // (connections deleted later) runs in a last iteration.
  server_.reset();
  handler_.reset();
  management_port_.reset();
  node_ovs_config_.reset();
  manager_.reset();
  linker_.reset();
  if (nb_) nb_->close();
  if (ovs_) ovs_->close();
  if (loop_) loop_->run_once(false);
  nb_.reset();
  ovs_.reset();
  host_netlink_.reset();
  signal_watch_.reset();
  if (loop_) loop_->run_once(false);
  if (signal_fd_ >= 0) {
    ::close(signal_fd_);
    signal_fd_ = -1;
  }
  LOG_INFO("daemon_stopped", log::kv("node", config_.node));
}

Daemon::~Daemon() {
  if (server_ || manager_ || nb_) teardown();
}

}  // namespace ovnk::daemon
