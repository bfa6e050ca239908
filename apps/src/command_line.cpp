// Definitions of hermes_apps/command_line.hpp: the CLI11 layer every hermes-* program shares
// (validators, help layout, messages, exit codes). Compiled once into hermes_apps.
#include "hermes_apps/command_line.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <filesystem>
#include <new>
#include <ostream>
#include <sstream>
#include <utility>

#include "hermes/activation/trace_file.hpp"
#include "hermes/core/input_file.hpp"
#include "hermes/io/config_json.hpp"
#include "hermes_apps/sweep.hpp"

namespace hermes::apps {

std::string in_quotes(std::string_view v) {
  // Built by appending: "'" + std::string(v) + "'" trips g++ 12's -Wrestrict false positive at -O3.
  std::string out;
  out.reserve(v.size() + 2);
  out += '\'';
  out += v;
  out += '\'';
  return out;
}

std::string integer_range(std::uint64_t min, std::uint64_t max) {
  return "an integer in " + std::to_string(min) + ".." + std::to_string(max);
}

namespace {

// "" if `v` is a decimal integer in [min, max] (stored in `out`), else what is expected.
std::string count_problem(std::string_view v, std::uint64_t min, std::uint64_t max, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || out < min || out > max)
    return "expected " + integer_range(min, max);
  return "";
}

// The "expected ..." part of an invalid_parameter's message.
std::string expected_part(const std::string& what) {
  const auto at = what.find("expected ");
  return at == std::string::npos ? what : what.substr(at);
}

}  // namespace

std::uint64_t parse_count(std::string_view flag, std::string_view v, std::uint64_t min, std::uint64_t max) {
  std::uint64_t out = 0;
  if (const std::string why = count_problem(v, min, max, out); !why.empty())
    throw usage_error(std::string(flag) + " " + in_quotes(v) + ": " + why);
  return out;
}

std::vector<std::string> split_list(std::string_view flag, std::string_view v) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    const auto comma = v.find(',', start);
    const auto item = v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty())
      throw usage_error(std::string(flag) + " " + in_quotes(v) + ": expected a comma-separated list without empty items");
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec)) return true;
  const auto normal = [](const std::string& p) {
    std::error_code e;
    const fs::path abs = fs::absolute(p, e);
    const fs::path canon = fs::weakly_canonical(abs, e);
    return (e ? abs : canon).lexically_normal();
  };
  return normal(a) == normal(b);
}

// ------------------------------------------------------------------------------------------
// Validators: each returns "" or "'VALUE': expected WHAT".

namespace {

// Splits for a validator: the message of an empty item, or the items.
std::string list_items(const std::string& v, std::vector<std::string>& items, std::uint64_t max_items) {
  try {
    items = split_list("", v);
  } catch (const usage_error&) {
    return in_quotes(v) + ": expected a comma-separated list without empty items";
  }
  if (items.size() > max_items)
    return in_quotes(v) + ": expected a comma-separated list of at most " + std::to_string(max_items) + " items";
  return "";
}

}  // namespace

CLI::Validator count_in(std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& v) -> std::string {
        std::uint64_t n = 0;
        const std::string why = count_problem(v, min, max, n);
        return why.empty() ? why : in_quotes(v) + ": " + why;
      },
      "", "count");
}

CLI::Validator count_list_in(std::uint64_t min, std::uint64_t max, std::uint64_t max_items) {
  return CLI::Validator(
      [min, max, max_items](std::string& v) -> std::string {
        std::vector<std::string> items;
        if (std::string why = list_items(v, items, max_items); !why.empty()) return why;
        for (const auto& item : items) {
          std::uint64_t n = 0;
          if (const std::string why = count_problem(item, min, max, n); !why.empty()) return in_quotes(item) + ": " + why;
        }
        return "";
      },
      "", "count list");
}

CLI::Validator number_in(double min, double max, std::string what) {
  return CLI::Validator(
      [min, max, what](std::string& v) -> std::string {
        double x = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
        if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !std::isfinite(x) || x < min || x > max)
          return in_quotes(v) + ": expected " + what;
        return "";
      },
      "", "number");
}

CLI::Validator name_in(std::function<std::string(std::string_view)> canonical) {
  CLI::Validator v(
      [canonical](std::string& name) -> std::string {
        try {
          name = canonical(name);
          return "";
        } catch (const invalid_parameter& e) {
          return in_quotes(name) + ": " + expected_part(e.what());
        }
      },
      "", "name");
  v.non_modifying(false);
  return v;
}

CLI::Validator name_list_in(std::function<std::string(std::string_view)> canonical, std::string none) {
  CLI::Validator v(
      [canonical, none](std::string& list) -> std::string {
        if (!none.empty() && list == none) return "";
        std::vector<std::string> items;
        if (std::string why = list_items(list, items, limits::list_items); !why.empty()) return why;
        std::string out;
        for (const auto& item : items) {
          try {
            out += (out.empty() ? "" : ",") + canonical(item);
          } catch (const invalid_parameter& e) {
            return in_quotes(item) + ": " + expected_part(e.what());
          }
        }
        list = out;
        return "";
      },
      "", "name list");
  v.non_modifying(false);
  return v;
}

CLI::Validator existing_file(std::uint64_t max_bytes) {
  return CLI::Validator(
      [max_bytes](std::string& path) -> std::string {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (path.empty()) return "'': expected a file name";
        if (!fs::exists(path, ec)) return in_quotes(path) + ": no such file";
        if (fs::is_directory(path, ec)) return in_quotes(path) + ": is a directory, expected a file";
        if (const std::string why = input_file_problem(path, max_bytes); !why.empty()) return in_quotes(path) + ": " + why;
        return "";
      },
      "", "file");
}

CLI::Validator existing_directory() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        std::error_code ec;
        if (!std::filesystem::is_directory(path, ec)) return in_quotes(path) + ": expected an existing directory";
        return "";
      },
      "", "directory");
}

CLI::Validator text_of_at_most(std::uint64_t max_bytes, std::string what, bool allow_empty) {
  return CLI::Validator(
      [max_bytes, what, allow_empty](std::string& v) -> std::string {
        if ((v.empty() && !allow_empty) || v.size() > max_bytes) {
          if (v.size() <= 40) return in_quotes(v) + ": expected " + what;
          return in_quotes(v.substr(0, 40) + "...") + " (" + std::to_string(v.size()) + " bytes): expected " + what;
        }
        return "";
      },
      "", "text");
}

// ------------------------------------------------------------------------------------------
// The help layout: the program's own head (usage lines and what it does), the options with
// their descriptions, the footer.

namespace {

class help_layout : public CLI::Formatter {
 public:
  static constexpr std::size_t name_width = 28;  // the options' column
  static constexpr std::size_t line_width = 100;
  help_layout() { column_width(name_width); }
  std::string make_description(const CLI::App* app) const override {
    std::string d = app->get_description();
    while (!d.empty() && d.back() == '\n') d.pop_back();
    return d + "\n";
  }
  std::string make_usage(const CLI::App*, std::string) const override { return ""; }
  std::string make_subcommands(const CLI::App*, CLI::AppFormatMode) const override { return ""; }
  // Descriptions wrapped at word boundaries to the line width (CLI11 indents after '\n').
  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string out, line;
    std::istringstream words(opt->get_description());
    for (std::string w; words >> w;) {
      if (!line.empty() && name_width + line.size() + 1 + w.size() > line_width) {
        out += line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + w;
    }
    return out + line;
  }
};

CLI::App* selected(const CLI::App& app) {
  const auto subs = app.get_subcommands();
  return subs.empty() ? nullptr : subs.front();
}

}  // namespace

command_line::command_line(std::string program, std::string usage, std::string footer)
    : app_(std::move(usage), std::move(program)) {
  app_.formatter(std::make_shared<help_layout>());
  app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->group("options");
  app_.set_help_flag("-h,--help", "this text")->group("options");
  if (!footer.empty()) app_.footer(std::move(footer));
}

CLI::App* command_line::subcommand(const std::string& name, std::string usage, std::string footer) {
  CLI::App* sub = app_.add_subcommand(name, std::move(usage));
  sub->set_help_flag("-h,--help", "this text");
  sub->footer(std::move(footer));
  return sub;
}

std::string command_line::program() const {
  const CLI::App* sub = selected(app_);
  return app_.get_name() + (sub ? " " + sub->get_name() : std::string());
}

std::string command_line::message(const CLI::Error& e) const {
  const std::string what = e.what();
  const CLI::App* at = selected(app_);
  if (!at) at = &app_;
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    const auto rest = app_.remaining(true);
    const auto is_subcommand = [&](const CLI::App* sub) { return sub->get_name() == rest.front(); };
    if (!rest.empty() && !app_.get_subcommands(is_subcommand).empty())
      return in_quotes(rest.front()) + ": a subcommand comes first, before its options (see " + rest.front() +
             " --help)";
    if (!rest.empty())
      return (rest.front().rfind('-', 0) == 0 ? "unknown option " : "unexpected argument ") + in_quotes(rest.front()) +
             " (see --help)";
    return what;
  }
  const auto colon = what.find(':');
  const std::string name = colon == std::string::npos ? std::string() : what.substr(0, colon);
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && !name.empty()) {
    const CLI::Option* o = at->get_option_no_throw(name);
    if (!o) o = app_.get_option_no_throw(name);
    if (what.find("At Most") != std::string::npos) return name + ": given twice";
    if (o && expected_.count(o)) return name + ": missing value: expected " + expected_.at(o);
    return name + ": missing value";
  }
  // A validator's "'VALUE': expected WHAT" after CLI11's "NAME: ".
  if (dynamic_cast<const CLI::ValidationError*>(&e) && colon != std::string::npos &&
      what.compare(colon, 3, ": '") == 0)
    return name + what.substr(colon + 1);
  return what;
}

bool command_line::parse_or_throw(const std::vector<std::string>& args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app_.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return false;
  } catch (const CLI::ParseError& e) {
    throw usage_error(message(e));
  }
  return true;
}

std::optional<int> command_line::parse(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    if (!parse_or_throw(args)) {
      out << app_.help();
      return exit_ok;
    }
  } catch (const usage_error& e) {
    err << program() << ": " << e.what() << '\n';
    return exit_usage;
  }
  return std::nullopt;
}

std::optional<int> command_line::parse(int argc, char** argv, std::ostream& out, std::ostream& err) {
  return parse(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + std::max(argc, 1)), out, err);
}

bool is_bad_input(const std::exception& e) {
  return dynamic_cast<const usage_error*>(&e) != nullptr || dynamic_cast<const config_error*>(&e) != nullptr ||
         dynamic_cast<const invalid_parameter*>(&e) != nullptr ||
         dynamic_cast<const sweep_point_error*>(&e) != nullptr || dynamic_cast<const input_file_error*>(&e) != nullptr;
}

int run_guarded(const std::function<std::string()>& program, std::ostream& err, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    err << program() << ": out of memory: the input asks for more than this machine has\n";
    return exit_failure;
  } catch (const std::exception& e) {
    err << program() << ": " << e.what() << '\n';
    return is_bad_input(e) ? exit_usage : exit_failure;
  } catch (...) {
    err << program() << ": failed with an unknown error\n";
    return exit_failure;
  }
}

}  // namespace hermes::apps
