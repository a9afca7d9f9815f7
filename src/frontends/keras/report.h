// The framework-neutral import report (frontends/common/report.h) under the names the Keras
// frontend's code uses.
#pragma once

#include "frontends/common/report.h"

namespace ingot::keras {

using import::attr_to_json;
using import::closest_names;
using import::Diagnostic;
using import::ImportReport;
using import::layer_kind_name;
using import::LayerKind;
using import::LayerReport;
using import::opaque_op;
using import::Origin;
using import::origin_name;
using import::ParamValue;
using import::Severity;
using import::severity_name;
using import::StandardKeys;

}  // namespace ingot::keras
