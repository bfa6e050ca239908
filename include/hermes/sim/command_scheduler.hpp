#pragma once
// An event-driven command scheduler: IANUS's "PIM access scheduling" (Seo et al., ASPLOS 2024),
// for any machine whose units share memories that serve both normal accesses and in-memory
// compute. It books every command on the timing ledger (core/ledger.hpp), so the ledger's busy
// intervals are the schedule.
//
// A step is a `command_graph`: commands in program order, each on one ledger resource (its
// "unit": the MU, the VU, one memory's DMA engine, one memory's PIM, a link ...), with a duration
// (cost.time), dependencies on earlier commands only, and optionally the memory it touches and
// how (`memory_access::normal`: a DMA load/store; `in_memory`: a PIM macro, e.g. one GEMV).
//
// `command_scheduler::run` simulates, event by event:
// - Pending window: the first `pending_slots` not-yet-issued commands (in program order).
// - Issue: a command issues into its unit's FIFO issue queue when it is in the pending window,
//   its unit has fewer than `issue_slots` issued-but-unfinished commands, every earlier command
//   of the same unit has issued (per-unit program order) and the memory rules allow it. Its issue
//   time is the earliest time all of that holds (slots free when commands finish).
// - Start: at the head of its unit's queue (the unit's previous command finished: the ledger's
//   free time of the unit, which also carries earlier steps' work) once all its dependencies have
//   finished; it ends at start + cost.time. Each command is one ledger charge with ready = start.
// - Memory rules (the point of PIM access scheduling: normal accesses and PIM computation cannot
//   use one memory at the same time):
//   * an in_memory command on memory M, once issued, blocks the issue of every normal access to
//     M until it finishes;
//   * an in_memory command on M starts only after every normal access to M issued before it has
//     finished, and after the previous in_memory command on M (they serialise);
//   * accesses to one memory keep program order across the two kinds at issue: an in_memory
//     command issues only after every earlier access to its memory has issued, and a normal
//     access only after every earlier in_memory command on its memory has issued. (Without this
//     a PIM macro could issue ahead of the DMA it depends on and block it forever, or a later
//     DMA issued early could hold back a PIM macro it depends on.) With it, every graph whose
//     dependencies point to earlier commands completes; normal accesses to one memory on
//     different units still overlap each other.
//   * normal accesses to different memories, and commands with access none (MU, VU work on
//     on-chip data), overlap anything.
//
// Cost: O(commands + dependencies) per run plus a heap of running commands (at most one per
// unit); the working arrays are members, reused from run to run (no allocation per command once
// warm; bench/command_scheduler.cpp measures it).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hermes/core/error.hpp"
#include "hermes/core/ledger.hpp"
#include "hermes/core/text.hpp"
#include "hermes/core/units.hpp"

namespace hermes {

// How a command uses its memory.
enum class memory_access : std::uint8_t {
  none,       // no main-memory access (MU/VU work on on-chip scratch-pads, a link transfer)
  normal,     // a normal read or write (DMA)
  in_memory,  // computation inside the memory (a PIM macro)
};

[[nodiscard]] constexpr std::string_view to_string(memory_access a) {
  switch (a) {
    case memory_access::none: return "none";
    case memory_access::normal: return "normal";
    case memory_access::in_memory: return "in_memory";
  }
  return "unknown";
}

inline constexpr std::uint32_t no_memory = 0xffffffff;

struct command {
  ledger::resource_id unit = 0;  // the ledger resource executing it
  device_cost cost;              // cost.time = its duration
  std::string_view stage;        // ledger stage name (must outlive the run: string literals)
  std::uint32_t memory = no_memory;  // which memory it touches (index chosen by the caller)
  memory_access access = memory_access::none;
  std::uint32_t first_dep = 0, dep_count = 0;  // range in command_graph::deps
};

// The commands of one step in program order; dependencies only to earlier commands. clear()
// keeps the storage, so one graph rebuilt per step allocates nothing once warm.
class command_graph {
 public:
  std::uint32_t add(ledger::resource_id unit, const device_cost& cost, std::string_view stage,
                    std::initializer_list<std::uint32_t> deps = {}, std::uint32_t memory = no_memory,
                    memory_access access = memory_access::none) {
    return add(unit, cost, stage, std::span<const std::uint32_t>(deps.begin(), deps.size()), memory,
               access);
  }

  std::uint32_t add(ledger::resource_id unit, const device_cost& cost, std::string_view stage,
                    std::span<const std::uint32_t> deps, std::uint32_t memory = no_memory,
                    memory_access access = memory_access::none) {
    if (commands_.size() >= no_memory)
      throw invalid_parameter("command_graph.size", to_text(commands_.size()),
                              "fewer than 2^32 - 1 commands in one graph");
    const auto index = static_cast<std::uint32_t>(commands_.size());
    for (const std::uint32_t d : deps)
      if (d >= index)
        throw invalid_parameter("command.deps", to_text(d),
                                "the index of an earlier command (< " + to_text(index) +
                                    ", the index of the command being added)");
    if (!(cost.time >= seconds{}) || !std::isfinite(cost.time.value()))
      throw invalid_parameter("command.cost.time", to_text(cost.time.value()),
                              "a finite duration >= 0 s");
    if (access != memory_access::none && memory == no_memory)
      throw invalid_parameter("command.memory", "no_memory",
                              "a memory index for a command with access " +
                                  std::string(to_string(access)));
    if (access != memory_access::none && access != memory_access::normal &&
        access != memory_access::in_memory)
      throw invalid_parameter("command.access", to_text(static_cast<int>(access)),
                              "none, normal or in_memory");
    command c;
    c.unit = unit;
    c.cost = cost;
    c.stage = stage;
    c.memory = memory;
    c.access = access;
    c.first_dep = static_cast<std::uint32_t>(deps_.size());
    c.dep_count = static_cast<std::uint32_t>(deps.size());
    deps_.insert(deps_.end(), deps.begin(), deps.end());
    commands_.push_back(c);
    slots_.push_back(access == memory_access::none ? no_memory : slot_of(memory));
    return index;
  }

  [[nodiscard]] std::size_t size() const { return commands_.size(); }
  [[nodiscard]] bool empty() const { return commands_.empty(); }
  [[nodiscard]] const command& operator[](std::uint32_t i) const { return commands_[i]; }
  [[nodiscard]] std::span<const std::uint32_t> deps_of(std::uint32_t i) const {
    const auto& c = commands_[i];
    return std::span<const std::uint32_t>(deps_.data() + c.first_dep, c.dep_count);
  }
  [[nodiscard]] std::span<const command> commands() const { return commands_; }
  [[nodiscard]] std::span<const std::uint32_t> deps() const { return deps_; }

  // The distinct memories touched (accesses other than none), numbered in order of first use:
  // memory_slot(i) is command i's (no_memory for access none).
  [[nodiscard]] std::size_t memory_count() const { return memories_.size(); }
  [[nodiscard]] std::uint32_t memory_slot(std::uint32_t i) const { return slots_[i]; }

  void clear() {
    commands_.clear();
    deps_.clear();
    slots_.clear();
    memories_.clear();
  }

 private:
  std::uint32_t slot_of(std::uint32_t memory) {
    // Few memories (one per PIM controller or memory device): a linear search, last hit first.
    if (last_slot_ < memories_.size() && memories_[last_slot_] == memory) return last_slot_;
    for (std::uint32_t s = 0; s < memories_.size(); ++s)
      if (memories_[s] == memory) return last_slot_ = s;
    memories_.push_back(memory);
    return last_slot_ = static_cast<std::uint32_t>(memories_.size() - 1);
  }

  std::vector<command> commands_;
  std::vector<std::uint32_t> deps_;
  std::vector<std::uint32_t> slots_;     // per command: index into memories_, or no_memory
  std::vector<std::uint32_t> memories_;  // distinct memory indices in order of first use
  std::uint32_t last_slot_ = 0;
};

struct command_scheduler_options {
  std::size_t issue_slots = 4;     // per-unit issue queue entries (IANUS: 4)
  std::size_t pending_slots = 256; // pending queue entries (IANUS: 256)

  void validate() const {
    require_count("command_scheduler.issue_slots", issue_slots);
    require_count("command_scheduler.pending_slots", pending_slots);
  }
};

struct schedule_result {
  std::vector<seconds> start, end;  // per command: its ledger interval
  std::vector<seconds> issue;       // per command: when it entered its unit's issue queue
  seconds finish{};                 // the latest end (not_before for an empty graph)
};

class command_scheduler {
 public:
  explicit command_scheduler(command_scheduler_options options = {}) : options_(options) {
    options_.validate();
  }

  [[nodiscard]] const command_scheduler_options& options() const { return options_; }

  // Schedules `graph` starting no earlier than `not_before` (the previous step's finish; unit
  // free times are the ledger's own), charging each command once to the ledger.
  schedule_result run(const command_graph& graph, ledger& l, seconds not_before) {
    schedule_result r;
    run(graph, l, not_before, r);
    return r;
  }

  // The same, into `out` (its vectors' storage is reused).
  void run(const command_graph& graph, ledger& l, seconds not_before, schedule_result& out) {
    if (!std::isfinite(not_before.value()))
      throw invalid_parameter("not_before", to_text(not_before.value()), "a finite time");
    const auto n = static_cast<std::uint32_t>(graph.size());
    out.start.assign(n, seconds{});
    out.end.assign(n, seconds{});
    out.issue.assign(n, seconds{});
    out.finish = not_before;
    if (n == 0) return;
    prepare(graph, l);

    now_ = not_before;
    issued_ = 0;
    finished_ = 0;
    window_end_ = window_limit(n);
    // Every unit with commands starts dirty: try to issue its first command.
    dirty_.clear();
    for (std::uint32_t u = 0; u < units_.size(); ++u)
      if (units_[u].first != units_[u].last) mark_dirty(u);

    for (;;) {
      issue_pass(graph, l, out);
      if (events_.empty()) break;
      now_ = events_.front().time;
      while (!events_.empty() && events_.front().time <= now_) {
        std::pop_heap(events_.begin(), events_.end(), later);
        const std::uint32_t c = events_.back().cmd;
        events_.pop_back();
        finish(graph, l, c, out);
      }
    }
    if (finished_ != n)
      throw invariant_violation("command_scheduler: " + to_text(n - finished_) + " of " +
                                    to_text(n) + " commands never ran",
                                "command_scheduler::run");
    seconds f = not_before;
    for (std::uint32_t c = 0; c < n; ++c) f = max(f, out.end[c]);
    out.finish = f;
  }

 private:
  enum class state : std::uint8_t { waiting, issued, running, done };

  struct unit_state {
    std::uint32_t first = 0, last = 0;  // its commands: unit_cmds_[first, last)
    std::uint32_t next_issue = 0;       // unit_cmds_ position of the next command to issue
    std::uint32_t head = 0;             // position of the oldest unfinished issued command
    bool running = false;
    bool dirty = false;
  };

  struct memory_state {
    std::uint32_t first = 0, last = 0;        // its accesses: mem_cmds_[first, last)
    std::uint32_t next_access = 0;            // position of the earliest unissued access
    std::uint32_t pim_first = 0, pim_last = 0;  // its in_memory commands: pim_cmds_[...)
    std::uint32_t next_pim_issue = 0;         // position of the next in_memory command to issue
    std::uint32_t next_pim_finish = 0;        // position of the next in_memory command to finish
    std::uint32_t normal_in_flight = 0;       // issued, unfinished normal accesses
    std::uint32_t pim_in_flight = 0;          // issued, unfinished in_memory commands
    std::vector<std::uint32_t>* waiters = nullptr;
  };

  struct event {
    seconds time;
    std::uint32_t cmd;
  };
  // A min-heap on (time, command): equal times finish in program order.
  static bool later(const event& a, const event& b) {
    return a.time > b.time || (a.time == b.time && a.cmd > b.cmd);
  }

  std::uint32_t window_limit(std::uint32_t n) const {
    const std::size_t unissued = n - issued_;
    return options_.pending_slots >= unissued
               ? n
               : static_cast<std::uint32_t>(issued_ + options_.pending_slots);
  }

  // Builds the per-unit, per-memory and successor lists of the graph (counting sorts).
  void prepare(const command_graph& graph, ledger& l) {
    const auto n = static_cast<std::uint32_t>(graph.size());
    const auto cmds = graph.commands();
    const std::size_t resources = l.size();

    // Units: dense ids for the ledger resources used.
    constexpr std::uint32_t unassigned = 0xffffffff;
    unit_index_.assign(resources, unassigned);
    units_.clear();
    unit_of_.resize(n);
    for (std::uint32_t c = 0; c < n; ++c) {
      const auto res = cmds[c].unit;
      if (res >= resources)
        throw invalid_parameter("command.unit", to_text(res),
                                "a resource of the ledger (< " + to_text(resources) + ")");
      if (unit_index_[res] == unassigned) {
        unit_index_[res] = static_cast<std::uint32_t>(units_.size());
        units_.push_back(unit_state{});
        unit_resource_.resize(units_.size());
        unit_resource_.back() = res;
      }
      const std::uint32_t u = unit_index_[res];
      unit_of_[c] = u;
      ++units_[u].last;  // count first
    }
    std::uint32_t pos = 0;
    for (auto& u : units_) {
      const std::uint32_t count = u.last;
      u.first = u.next_issue = u.head = pos;
      u.last = pos;  // filled below
      pos += count;
    }
    unit_cmds_.resize(n);
    for (std::uint32_t c = 0; c < n; ++c) {
      auto& u = units_[unit_of_[c]];
      unit_cmds_[u.last++] = c;
    }

    // Memories: accesses and in_memory commands per memory slot.
    const std::size_t m = graph.memory_count();
    memories_.assign(m, memory_state{});
    if (waiters_.size() < m) waiters_.resize(m);
    for (std::size_t s = 0; s < m; ++s) {
      waiters_[s].clear();
      memories_[s].waiters = &waiters_[s];
    }
    for (std::uint32_t c = 0; c < n; ++c) {
      const std::uint32_t s = graph.memory_slot(c);
      if (s == no_memory) continue;
      ++memories_[s].last;
      if (cmds[c].access == memory_access::in_memory) ++memories_[s].pim_last;
    }
    std::uint32_t apos = 0, ppos = 0;
    for (auto& ms : memories_) {
      const std::uint32_t a = ms.last, p = ms.pim_last;
      ms.first = ms.next_access = ms.last = apos;
      ms.pim_first = ms.next_pim_issue = ms.next_pim_finish = ms.pim_last = ppos;
      apos += a;
      ppos += p;
    }
    mem_cmds_.resize(apos);
    pim_cmds_.resize(ppos);
    for (std::uint32_t c = 0; c < n; ++c) {
      const std::uint32_t s = graph.memory_slot(c);
      if (s == no_memory) continue;
      auto& ms = memories_[s];
      mem_cmds_[ms.last++] = c;
      if (cmds[c].access == memory_access::in_memory) pim_cmds_[ms.pim_last++] = c;
    }

    // Successors (CSR) and unfinished-dependency counts.
    succ_first_.assign(static_cast<std::size_t>(n) + 1, 0);
    deps_left_.resize(n);
    for (std::uint32_t c = 0; c < n; ++c) {
      deps_left_[c] = cmds[c].dep_count;
      for (const std::uint32_t d : graph.deps_of(c)) ++succ_first_[d + 1];
    }
    for (std::uint32_t c = 0; c < n; ++c) succ_first_[c + 1] += succ_first_[c];
    succ_.resize(succ_first_[n]);
    succ_fill_.assign(succ_first_.begin(), succ_first_.end() - 1);
    for (std::uint32_t c = 0; c < n; ++c)
      for (const std::uint32_t d : graph.deps_of(c)) succ_[succ_fill_[d]++] = c;

    state_.assign(n, state::waiting);
    events_.clear();
  }

  void mark_dirty(std::uint32_t u) {
    if (!units_[u].dirty) {
      units_[u].dirty = true;
      dirty_.push_back(u);
    }
  }

  void issue_pass(const command_graph& graph, ledger& l, schedule_result& out) {
    while (!dirty_.empty()) {
      const std::uint32_t u = dirty_.back();
      dirty_.pop_back();
      units_[u].dirty = false;
      while (try_issue(graph, l, u, out)) {}
    }
  }

  // Issues unit u's next command now if the issue rules allow it.
  bool try_issue(const command_graph& graph, ledger& l, std::uint32_t u, schedule_result& out) {
    auto& us = units_[u];
    if (us.next_issue == us.last) return false;
    const std::uint32_t c = unit_cmds_[us.next_issue];
    const auto n = static_cast<std::uint32_t>(graph.size());
    if (c >= window_end_) return false;                              // woken when the window reaches c
    if (us.next_issue - us.head >= options_.issue_slots) return false;  // woken by u's finishes
    const command& cmd = graph[c];
    const std::uint32_t s = graph.memory_slot(c);
    if (s != no_memory) {
      auto& ms = memories_[s];
      if (cmd.access == memory_access::normal) {
        const bool earlier_pim_unissued =
            ms.next_pim_issue != ms.pim_last && pim_cmds_[ms.next_pim_issue] < c;
        if (ms.pim_in_flight > 0 || earlier_pim_unissued) {
          ms.waiters->push_back(u);  // woken when an in_memory command on s finishes
          return false;
        }
      } else {
        while (ms.next_access != ms.last && state_[mem_cmds_[ms.next_access]] != state::waiting)
          ++ms.next_access;
        if (mem_cmds_[ms.next_access] != c) return false;  // woken when the earlier ones issue
      }
    }

    // Issue.
    state_[c] = state::issued;
    out.issue[c] = now_;
    ++issued_;
    ++us.next_issue;
    const std::uint32_t old_end = window_end_;
    window_end_ = window_limit(n);
    for (std::uint32_t w = old_end; w < window_end_; ++w) mark_dirty(unit_of_[w]);
    if (s != no_memory) {
      auto& ms = memories_[s];
      if (cmd.access == memory_access::normal) {
        ++ms.normal_in_flight;
      } else {
        ++ms.pim_in_flight;
        ++ms.next_pim_issue;
      }
      while (ms.next_access != ms.last && state_[mem_cmds_[ms.next_access]] != state::waiting)
        ++ms.next_access;
      if (ms.next_pim_issue != ms.pim_last && ms.next_access != ms.last &&
          mem_cmds_[ms.next_access] == pim_cmds_[ms.next_pim_issue])
        mark_dirty(unit_of_[pim_cmds_[ms.next_pim_issue]]);
    }
    try_start(graph, l, c, out);
    return true;
  }

  // Starts command c now if it is issued, at the head of its unit's queue with the unit idle,
  // its dependencies finished and (in_memory) its memory free of earlier accesses.
  void try_start(const command_graph& graph, ledger& l, std::uint32_t c, schedule_result& out) {
    if (state_[c] != state::issued || deps_left_[c] != 0) return;
    const std::uint32_t u = unit_of_[c];
    auto& us = units_[u];
    if (us.running || unit_cmds_[us.head] != c) return;
    const command& cmd = graph[c];
    if (cmd.access == memory_access::in_memory) {
      const auto& ms = memories_[graph.memory_slot(c)];
      if (ms.normal_in_flight != 0 || pim_cmds_[ms.next_pim_finish] != c) return;
    }
    state_[c] = state::running;
    us.running = true;
    // The unit may still be busy with an earlier step's work: its ledger free time.
    const seconds start = max(now_, l.free_at(unit_resource_[u]));
    const seconds end = l.charge(unit_resource_[u], start, cmd.cost, cmd.stage);
    out.start[c] = start;
    out.end[c] = end;
    events_.push_back(event{end, c});
    std::push_heap(events_.begin(), events_.end(), later);
  }

  void finish(const command_graph& graph, ledger& l, std::uint32_t c, schedule_result& out) {
    state_[c] = state::done;
    ++finished_;
    const std::uint32_t u = unit_of_[c];
    auto& us = units_[u];
    us.running = false;
    ++us.head;
    mark_dirty(u);  // a queue slot freed
    if (us.head != us.next_issue) try_start(graph, l, unit_cmds_[us.head], out);
    for (std::uint32_t k = succ_first_[c]; k < succ_first_[c + 1]; ++k) {
      const std::uint32_t s = succ_[k];
      if (--deps_left_[s] == 0) try_start(graph, l, s, out);
    }
    const std::uint32_t slot = graph.memory_slot(c);
    if (slot == no_memory) return;
    auto& ms = memories_[slot];
    if (graph[c].access == memory_access::normal) {
      if (--ms.normal_in_flight == 0 && ms.next_pim_finish != ms.pim_last)
        try_start(graph, l, pim_cmds_[ms.next_pim_finish], out);
    } else {
      --ms.pim_in_flight;
      ++ms.next_pim_finish;
      for (const std::uint32_t w : *ms.waiters) mark_dirty(w);
      ms.waiters->clear();
      if (ms.next_pim_finish != ms.pim_last) try_start(graph, l, pim_cmds_[ms.next_pim_finish], out);
    }
  }

  command_scheduler_options options_;
  seconds now_{};
  std::uint32_t issued_ = 0, finished_ = 0, window_end_ = 0;

  // Working arrays, reused from run to run.
  std::vector<std::uint32_t> unit_index_;      // ledger resource -> dense unit
  std::vector<ledger::resource_id> unit_resource_;  // dense unit -> ledger resource
  std::vector<unit_state> units_;
  std::vector<std::uint32_t> unit_of_, unit_cmds_;
  std::vector<memory_state> memories_;
  std::vector<std::vector<std::uint32_t>> waiters_;
  std::vector<std::uint32_t> mem_cmds_, pim_cmds_;
  std::vector<std::uint32_t> succ_first_, succ_, succ_fill_, deps_left_;
  std::vector<state> state_;
  std::vector<event> events_;
  std::vector<std::uint32_t> dirty_;
};

}  // namespace hermes
