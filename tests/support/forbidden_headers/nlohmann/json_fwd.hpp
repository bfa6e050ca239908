// Stands in for <nlohmann/json_fwd.hpp> where only the core may be used (tests/CMakeLists.txt,
// tests/package): a core header that includes nlohmann-json fails here.
#error "<nlohmann/json_fwd.hpp> included from a core-only build: only hermes/io/ (target hermes::json) may include nlohmann-json"
