// Placeholder entry point replaced by the real-model driver.
#include <cstdio>
int main() { std::puts("hermes-generate: under construction"); return 0; }
