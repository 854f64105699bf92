"""Liveness and readiness endpoints for load balancers, container health checks and `make run`."""

from concurrent.futures import ThreadPoolExecutor, wait

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config import readiness

# Each probe has its own timeout; this bounds the whole answer even if one of them hangs.
READY_DEADLINE_SECONDS = 2.5


@require_safe
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request):
    # A pool per request: a probe stuck on a dead server must not queue up later requests' probes.
    pool = ThreadPoolExecutor(max_workers=len(readiness.CHECKS), thread_name_prefix="readyz")
    futures = {name: pool.submit(readiness.run_check, check) for name, check in readiness.CHECKS.items()}
    wait(futures.values(), timeout=READY_DEADLINE_SECONDS)
    pool.shutdown(wait=False, cancel_futures=True)
    checks = {name: future.result() if future.done() else "timeout" for name, future in futures.items()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
