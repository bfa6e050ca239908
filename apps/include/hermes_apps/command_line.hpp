#pragma once
// The command-line layer every hermes-* program shares (hermes-sim with its `sweep` and
// `reproduce` subcommands, hermes-generate, hermes-trace, hermes-profile), on CLI11: options,
// their validators and the --help text come from one definition per program.
//
// Conventions of every program:
//  - exit codes: 0 success, 1 a run failed (including out of memory and a failed write of a
//    result), 2 bad input (a flag, a value, a file);
//  - a bad value reads "PROGRAM: --flag 'value': expected WHAT", a missing one
//    "PROGRAM: --flag: missing value: expected WHAT", an unknown option
//    "PROGRAM: unknown option '--x' (see --help)";
//  - every count a user can give has an upper bound (`limits` below), stated in --help;
//  - --help prints to standard output and exits 0.
//
// hermes_apps (apps/): the programs' shared code, not part of the library (include/hermes never
// needs CLI11). The definitions are compiled once, in apps/src/command_line.cpp.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "hermes/core/error.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/device/ndp_dimm.hpp"
#include "hermes/sim/config.hpp"
#include "hermes_apps/exit_codes.hpp"

namespace hermes::apps {

// Upper bounds of the counts a user can give (docs/errors.md lists them). Far above real use,
// low enough that no flag alone can exhaust memory or run for days.
namespace limits {
inline constexpr std::uint64_t batch = 256;              // hermes-sim --batch, sweep/reproduce --batches
inline constexpr std::uint64_t dimms = 64;               // --dimms
inline constexpr std::uint64_t jobs = 256;               // --jobs (threads)
// The library's own bounds, so that a flag and a --config key allow the same values.
inline constexpr std::uint64_t multipliers = ndp_limits::multipliers;        // --multipliers (per NDP core)
inline constexpr std::uint64_t sequence_tokens = workload_limits::tokens;    // hermes-sim --input-len, --output-len
inline constexpr std::uint64_t profile_tokens = workload_limits::tokens;     // hermes-sim --profile-tokens
inline constexpr std::uint64_t sweep_points = 100000;    // product of a sweep's axis lengths
inline constexpr std::uint64_t list_items = 64;          // items of one list flag (reproduce --batches, trace --targets)
inline constexpr std::uint64_t steps = 65536;            // hermes-generate/hermes-trace forward passes (and the model's seq_len)
inline constexpr std::uint64_t prompt_bytes = 16384;     // hermes-generate --prompt
inline constexpr std::uint64_t synthetic_tokens = 4096;  // hermes-trace --synthetic-tokens (LLaMA2-70B masks)
inline constexpr std::uint64_t layers = 1024;            // hermes-profile --layers
inline constexpr std::uint64_t neurons = 1048576;        // hermes-profile --attention, --ffn (per layer)
inline constexpr std::uint64_t trace_tokens = 1048576;   // hermes-profile --tokens
inline constexpr std::uint64_t trace_bits = 1ull << 35;  // hermes-profile --synthesize: layers x neurons x tokens (4 GiB)
}  // namespace limits

// 'v', quoted as messages quote values.
[[nodiscard]] std::string in_quotes(std::string_view v);
// "an integer in MIN..MAX".
[[nodiscard]] std::string integer_range(std::uint64_t min, std::uint64_t max);
// An unsigned decimal integer in [min, max], or a usage_error "FLAG 'v': expected ...".
[[nodiscard]] std::uint64_t parse_count(std::string_view flag, std::string_view v, std::uint64_t min,
                                        std::uint64_t max);
// A comma-separated list without empty items, or a usage_error naming the flag.
[[nodiscard]] std::vector<std::string> split_list(std::string_view flag, std::string_view v);

// Whether two paths name one file (also when neither exists yet, or through "." / ".." / a
// symbolic link / a hard link): two outputs naming one file are refused.
[[nodiscard]] bool same_file(const std::string& a, const std::string& b);

// CLI11 validators. Their messages read "'VALUE': expected WHAT"; command_line::parse puts the
// flag in front. A validator that canonicalises (a name) rewrites the value it checks.
[[nodiscard]] CLI::Validator count_in(std::uint64_t min, std::uint64_t max);
// A comma-separated list of at most `max_items` integers in [min, max].
[[nodiscard]] CLI::Validator count_list_in(std::uint64_t min, std::uint64_t max, std::uint64_t max_items);
// A finite decimal number in [min, max]; `what` is the allowed set as the message says it.
[[nodiscard]] CLI::Validator number_in(double min, double max, std::string what);
// A name `canonical` maps to its canonical spelling; its invalid_parameter ("... expected one
// of: A, B") becomes the message.
[[nodiscard]] CLI::Validator name_in(std::function<std::string(std::string_view)> canonical);
// A comma-separated list of such names (each rewritten); `none` (if not empty) stands for the
// empty list.
[[nodiscard]] CLI::Validator name_list_in(std::function<std::string(std::string_view)> canonical,
                                          std::string none = "");
// A regular file that exists and has at most `max_bytes` (no directory, FIFO or device).
[[nodiscard]] CLI::Validator existing_file(std::uint64_t max_bytes);
// A directory that exists.
[[nodiscard]] CLI::Validator existing_directory();
// Any text of 1..max_bytes bytes (0..max_bytes if `allow_empty`).
[[nodiscard]] CLI::Validator text_of_at_most(std::uint64_t max_bytes, std::string what, bool allow_empty = false);

// One program's command line: a CLI11 App with the house conventions (help layout, messages,
// exit codes). Options are declared on app() or on a subcommand of it.
class command_line {
 public:
  // `usage`: the help text's head ("usage: PROGRAM ...", then what the program does);
  // `footer`: what follows the options.
  command_line(std::string program, std::string usage, std::string footer = "");

  [[nodiscard]] CLI::App& app() { return app_; }
  [[nodiscard]] const CLI::App& app() const { return app_; }
  // A subcommand with its own help head and footer.
  CLI::App* subcommand(const std::string& name, std::string usage, std::string footer = "");

  // An option taking one value (given again, the last one counts). `value_name` is shown in
  // --help (N, LIST, FILE); `expected` is what the message of a missing value says it must be;
  // `description` should state the bound.
  template <class T>
  CLI::Option* option(CLI::App& on, const std::string& flag, T& into, const std::string& value_name,
                      const std::string& description, const std::string& expected,
                      const std::optional<CLI::Validator>& check = std::nullopt) {
    CLI::Option* o = on.add_option(flag, into, description);
    o->option_text(value_name);
    if (check) o->transform(*check);  // transform: a name validator rewrites the value
    expected_[o] = expected;
    return o;
  }
  // --checkpoint and --tokenizer, a llama2.c model's two files (hermes-generate, hermes-trace).
  void llama2c_files(CLI::App& on, std::string& checkpoint, std::string& tokenizer) {
    option(on, "--checkpoint", checkpoint, "PATH", "llama2.c checkpoint (default: DATA/stories260K/stories260K.bin)",
           "a checkpoint file", existing_file(input_caps::checkpoint));
    option(on, "--tokenizer", tokenizer, "PATH", "llama2.c tokenizer (default: DATA/stories260K/tok512.bin)",
           "a tokenizer file", existing_file(input_caps::tokenizer));
  }
  CLI::Option* flag(CLI::App& on, const std::string& name, bool& into, const std::string& description) {
    return on.add_flag(name, into, description);
  }

  // Parses `args` (without the program name). nullopt: go on and run; otherwise the exit code:
  // 0 after --help (written to `out`), 2 after a bad command line (the message on `err`).
  [[nodiscard]] std::optional<int> parse(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
  [[nodiscard]] std::optional<int> parse(int argc, char** argv, std::ostream& out, std::ostream& err);
  // The same for callers with their own error handling: false after --help (nothing written),
  // a usage_error with the message (without the program prefix) after a bad command line.
  [[nodiscard]] bool parse_or_throw(const std::vector<std::string>& args);

  // "hermes-sim", or "hermes-sim sweep" once a subcommand was given: the prefix of messages.
  [[nodiscard]] std::string program() const;
  // The message of a CLI11 parse error in the house form (without the program prefix).
  [[nodiscard]] std::string message(const CLI::Error& e) const;

 private:
  CLI::App app_;
  std::map<const CLI::Option*, std::string> expected_;
};

// Errors that mean the input was wrong (exit 2): usage_error, invalid_parameter, a bad
// configuration file, trace file or sweep point. Any other error is a failure of the run (1).
[[nodiscard]] bool is_bad_input(const std::exception& e);

// The top of every program: runs `body` and turns what it throws into an exit code with one
// sentence on `err` ("PROGRAM: ..."): bad input 2, anything else (std::bad_alloc included) 1.
// `program` is asked after the exception, so it can name the subcommand.
int run_guarded(const std::function<std::string()>& program, std::ostream& err, const std::function<int()>& body);
inline int run_guarded(const std::string& program, std::ostream& err, const std::function<int()>& body) {
  return run_guarded([program] { return program; }, err, body);
}

}  // namespace hermes::apps
