#pragma once
// The compute devices of a system as a compile-time heterogeneous set.
//
// A system is a few kinds of device (a GPU, NDP-DIMMs, a host CPU, ...), each with a number of
// identical instances: `device_set{group<gpu>("gpu", 1, gpu_cfg), group<ndp_dimm>("dimm", 8,
// dimm_cfg)}`. The policies keep their own types in a Boost.Hana tuple, so charging work to a
// device calls the policy's own cost model without virtual calls, and adding a device kind is
// adding a type, not editing a switch. At run time devices are numbered 0..size()-1, groups in
// the order given (the numbering layer_placement uses: Hermes numbers the GPU 0, DIMMs 1..8).
#include <boost/hana/at.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "hermes/core/concepts.hpp"
#include "hermes/core/device_traits.hpp"
#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/units.hpp"
#include "hermes/core/placement.hpp"

namespace hermes {

// `count` identical instances of one device policy. Instance names are the prefix alone for a
// single instance ("gpu") and prefix + instance number otherwise ("dimm0".."dimm7"); each
// instance is one ledger resource, because instances work in parallel.
template <class Policy>
struct device_group {
  static_assert(compute_device<Policy>,
                "hermes::device_group: the policy does not model hermes::compute_device. Give it "
                "`name() -> std::string_view`, `gemv(const gemv_work&) const -> device_cost` and "
                "`vector_op(const vector_work&) const -> device_cost`.");
  using policy_type = Policy;

  std::string prefix;
  std::size_t count = 1;
  Policy policy;
  resource_kind kind = device_traits<Policy>::kind;

  [[nodiscard]] std::string instance_name(std::size_t instance) const {
    return count == 1 ? prefix : prefix + std::to_string(instance);
  }
};

// group<ndp_dimm>("dimm", 8, dimm_cfg): the policy is constructed from the remaining arguments
// (or copied, when the argument already is a policy value).
template <class Policy, class... Args>
[[nodiscard]] device_group<Policy> group(std::string prefix, std::size_t count, Args&&... args) {
  if (prefix.empty())
    throw invalid_parameter("device_group.prefix", "\"\"", "a non-empty name");
  if (count == 0)
    throw invalid_parameter("device_group.count of '" + prefix + "'", "0", "at least 1 instance");
  if constexpr (std::is_constructible_v<Policy, Args&&...>) {
    return device_group<Policy>{std::move(prefix), count, Policy(std::forward<Args>(args)...),
                                device_traits<Policy>::kind};
  } else {
    return device_group<Policy>{std::move(prefix), count, Policy{std::forward<Args>(args)...},
                                device_traits<Policy>::kind};
  }
}

template <class... Policies>
class device_set {
  static_assert(sizeof...(Policies) > 0, "hermes::device_set: give at least one device group");

 public:
  using resource_id = ledger::resource_id;

  // Where a runtime device index lands: which group (in declaration order) and which instance.
  struct location {
    std::size_t group = 0;
    std::size_t instance = 0;
  };

  explicit device_set(device_group<Policies>... groups)
      : groups_(boost::hana::make_tuple(std::move(groups)...)) {
    std::size_t g = 0;
    boost::hana::for_each(groups_, [&](const auto& grp) {
      for (std::size_t i = 0; i < grp.count; ++i) {
        const std::string name = grp.instance_name(i);
        for (const auto& existing : names_)
          if (existing == name)
            throw invalid_parameter("device_set instance name", name,
                                    "names unique over all groups (choose other prefixes)");
        names_.push_back(name);
        where_.push_back(location{g, i});
        kinds_.push_back(grp.kind);
      }
      ++g;
    });
    if (names_.size() > max_devices)
      throw invalid_parameter("device_set size", std::to_string(names_.size()),
                              "at most " + std::to_string(max_devices) + " devices");
  }

  // Total number of device instances: valid device indices are 0..size()-1.
  [[nodiscard]] std::size_t size() const { return names_.size(); }
  [[nodiscard]] static constexpr std::size_t group_count() { return sizeof...(Policies); }
  [[nodiscard]] const std::string& name(device_index index) const { return names_[checked(index)]; }
  [[nodiscard]] location locate(device_index index) const { return where_[checked(index)]; }

  // Registers one ledger resource per instance, named as the instances. A resource that already
  // exists under that name is reused, so a set can be attached to several ledgers built alike.
  // A policy with `static_power() -> watts` (its idle or background power, device/energy.hpp)
  // sets its resources' static power in the ledger.
  void attach(ledger& l) {
    ids_.clear();
    for (std::size_t d = 0; d < names_.size(); ++d)
      ids_.push_back(l.has(names_[d]) ? l.id(names_[d]) : l.add_resource(names_[d], kinds_[d]));
    std::size_t d = 0;
    boost::hana::for_each(groups_, [&](const auto& grp) {
      for (std::size_t i = 0; i < grp.count; ++i, ++d)
        if constexpr (requires { { grp.policy.static_power() } -> std::convertible_to<watts>; })
          l.set_static_power(ids_[d], grp.policy.static_power());
    });
  }
  [[nodiscard]] bool attached() const { return ids_.size() == names_.size(); }

  // The ledger resource of a device (after attach()).
  [[nodiscard]] resource_id resource(device_index index) const {
    const std::size_t d = checked(index);
    if (!attached())
      throw error("device_set: attach(ledger&) before charging or visiting device '" + names_[d] +
                  "'");
    return ids_[d];
  }

  // Calls f(policy, resource_id) for the device at `index`; returns what f returns.
  template <class F>
  decltype(auto) visit(device_index index, F&& f) const {
    using result = std::common_type_t<std::invoke_result_t<F&, const Policies&, resource_id>...>;
    const location at = locate(index);
    const resource_id id = resource(index);
    std::size_t g = 0;
    if constexpr (std::is_void_v<result>) {
      boost::hana::for_each(groups_, [&](const auto& grp) {
        if (g++ == at.group) f(grp.policy, id);
      });
    } else {
      std::optional<result> out;
      boost::hana::for_each(groups_, [&](const auto& grp) {
        if (g++ == at.group) out.emplace(f(grp.policy, id));
      });
      return result(std::move(*out));
    }
  }

  // Charges a GEMV to device `index` in ledger `l` (attached before); returns when it ends.
  seconds charge_gemv(ledger& l, device_index index, seconds ready, const gemv_work& work,
                      std::string_view stage) const {
    check_ledger(l, index);
    return visit(index, [&](const auto& policy, resource_id id) {
      return l.charge(id, ready, policy.gemv(work), stage);
    });
  }
  seconds charge_vector_op(ledger& l, device_index index, seconds ready, const vector_work& work,
                           std::string_view stage) const {
    check_ledger(l, index);
    return visit(index, [&](const auto& policy, resource_id id) {
      return l.charge(id, ready, policy.vector_op(work), stage);
    });
  }

  // f(group) for every group, in order (reporting, configuration dumps).
  template <class F>
  void for_each_group(F&& f) const {
    boost::hana::for_each(groups_, f);
  }
  // f(group, instance, device_index) for every instance, in device-index order.
  template <class F>
  void for_each_device(F&& f) const {
    std::size_t first = 0;
    boost::hana::for_each(groups_, [&](const auto& grp) {
      for (std::size_t i = 0; i < grp.count; ++i) f(grp, i, static_cast<device_index>(first + i));
      first += grp.count;
    });
  }

  // The group whose policy type is Policy (there must be exactly one).
  template <class Policy>
  [[nodiscard]] const device_group<Policy>& get() const {
    return boost::hana::at_c<position_of<Policy>()>(groups_);
  }
  template <class Policy>
  [[nodiscard]] device_group<Policy>& get() {
    return boost::hana::at_c<position_of<Policy>()>(groups_);
  }
  // The device index of instance `instance` of the group whose policy type is Policy.
  template <class Policy>
  [[nodiscard]] device_index index_of(std::size_t instance = 0) const {
    constexpr std::size_t pos = position_of<Policy>();
    std::size_t first = 0;
    std::size_t g = 0;
    std::size_t count = 0;
    boost::hana::for_each(groups_, [&](const auto& grp) {
      if (g < pos) first += grp.count;
      if (g == pos) count = grp.count;
      ++g;
    });
    if (instance >= count)
      throw invalid_parameter("device_set::index_of instance", std::to_string(instance),
                              "an instance below " + std::to_string(count));
    return static_cast<device_index>(first + instance);
  }

 private:
  // device_index is 16 bits wide (layer_placement stores one per neuron).
  static constexpr std::size_t max_devices = 65535;

  template <class Policy>
  static constexpr std::size_t position_of() {
    static_assert(((std::is_same_v<Policy, Policies> ? 1 : 0) + ...) == 1,
                  "hermes::device_set: lookup by policy type needs exactly one group of that "
                  "type in the set (none or several found); use visit(index, f) instead");
    constexpr bool same[] = {std::is_same_v<Policy, Policies>...};
    for (std::size_t i = 0; i < sizeof...(Policies); ++i)
      if (same[i]) return i;
    return 0;
  }

  std::size_t checked(device_index index) const {
    if (index >= names_.size())
      throw invalid_parameter("device index", std::to_string(index),
                              "an index below the device count " + std::to_string(names_.size()));
    return index;
  }
  void check_ledger(const ledger& l, device_index index) const {
    const resource_id id = resource(index);
    if (id >= l.size() || l.resource(id).name != names_[index])
      throw error("device_set: the ledger charged for device '" + names_[index] +
                  "' is not one this set was attached to (call attach(ledger&) on it first)");
  }

  boost::hana::tuple<device_group<Policies>...> groups_;
  std::vector<std::string> names_;
  std::vector<location> where_;
  std::vector<resource_kind> kinds_;
  std::vector<resource_id> ids_;
};

template <class... Policies>
device_set(device_group<Policies>...) -> device_set<Policies...>;

}  // namespace hermes
