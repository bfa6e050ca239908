#pragma once
// Umbrella header: every predictor policy, its tables and its metrics.
#include "hermes/predict/correlation_table.hpp"
#include "hermes/predict/dejavu_predictor.hpp"
#include "hermes/predict/frequency_bands.hpp"
#include "hermes/predict/hermes_predictor.hpp"
#include "hermes/predict/neuron_state_table.hpp"
#include "hermes/predict/oracle_predictor.hpp"
#include "hermes/predict/prediction_metrics.hpp"
#include "hermes/predict/predictor.hpp"
#include "hermes/predict/random_predictor.hpp"
#include "hermes/predict/replay.hpp"
#include "hermes/predict/static_predictor.hpp"
