#include "core/error.h"
#include "plan/plan.h"

namespace kiln {

Status check_plan_target(const PlanTarget& plan, const PlanTarget& runtime) {
  if (plan.backend != runtime.backend)
    return unsupported("plan was built for backend '{}' but this runtime is '{}'", plan.backend, runtime.backend);
  if (plan.gpu_name != runtime.gpu_name)
    return unsupported("plan was built for GPU '{}' but this runtime's GPU is '{}'", plan.gpu_name, runtime.gpu_name);
  if (plan.compute_major != runtime.compute_major || plan.compute_minor != runtime.compute_minor)
    return unsupported("plan was built for compute capability {}.{} but this runtime's GPU is {}.{}", plan.compute_major,
                       plan.compute_minor, runtime.compute_major, runtime.compute_minor);
  if (plan.cuda_runtime_version != runtime.cuda_runtime_version)
    return unsupported("plan was built for CUDA runtime version {} but this runtime has {}", plan.cuda_runtime_version,
                       runtime.cuda_runtime_version);
  if (plan.cudnn_version != runtime.cudnn_version)
    return unsupported("plan was built for cuDNN version {} but this runtime has {}", plan.cudnn_version,
                       runtime.cudnn_version);
  return Status::Ok();
}

}  // namespace kiln
