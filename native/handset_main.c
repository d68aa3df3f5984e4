/*
 * Device-class build of the handset firmware: build/handset.wasm translated to C by wabt's
 * wasm2c and compiled with gcc into a native program, as a firmware image would embed it. It runs
 * the handshake client on the suite-1 trace vectors (trace_vectors.h, generated from
 * test/vectors/trace-suite1.json), checks that messages 1 and 3 come out byte for byte as under
 * Node, then times complete client handshakes. Output: one JSON line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm-rt.h"
#include "handset.h"
#include "trace_vectors.h"

/* The module's only import: the platform RNG. Here it replays the trace's random_A. */
struct Z_env_instance_t { wasm_rt_memory_t *memory; };

void Z_envZ_airshake_random(struct Z_env_instance_t *env, u32 p, u32 n) {
  if ((uint64_t)p + n > env->memory->size || n > sizeof(TRACE_RANDOM_A)) abort();
  memcpy(env->memory->data + p, TRACE_RANDOM_A, n);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int hex_equal(const uint8_t *got, size_t n, const uint8_t *want, size_t wn, const char *what) {
  if (n != wn || memcmp(got, want, n) != 0) {
    fprintf(stderr, "%s differs from the trace (%zu bytes, %zu expected)\n", what, n, wn);
    return 0;
  }
  return 1;
}

/* One handshake on the trace: provision, message 1, message 2 -> message 3. Returns 1 when both match. */
static int handshake(Z_handset_instance_t *inst, wasm_rt_memory_t *mem, int check) {
  u32 in = Z_handsetZ_inBuf(inst), out = Z_handsetZ_outBuf(inst), app = Z_handsetZ_sendAppBuf(inst);
  memcpy(mem->data + in, TRACE_HANDSET_KEY, 32);
  memcpy(mem->data + in + 32, TRACE_CA_PUBLIC_KEY, 32);
  memcpy(mem->data + in + 64, TRACE_SERVER_NAME, sizeof(TRACE_SERVER_NAME) - 1);
  int32_t rc = (int32_t)Z_handsetZ_provision(inst, in, in + 32, in + 64, sizeof(TRACE_SERVER_NAME) - 1);
  memset(mem->data + in, 0, 64);
  if (rc != 0) { fprintf(stderr, "provision: error %d\n", -rc); return 0; }
  int32_t n1 = (int32_t)Z_handsetZ_start(inst, TRACE_TIME);
  if (n1 < 0) { fprintf(stderr, "start: error %d\n", -n1); return 0; }
  if (check && !hex_equal(mem->data + out, (size_t)n1, TRACE_M1, sizeof(TRACE_M1), "message 1")) return 0;
  memcpy(mem->data + in, TRACE_M2, sizeof(TRACE_M2));
  memcpy(mem->data + app, TRACE_APP_DATA, sizeof(TRACE_APP_DATA));
  int32_t n3 = (int32_t)Z_handsetZ_finish(inst, sizeof(TRACE_M2), TRACE_TIME, sizeof(TRACE_APP_DATA));
  if (n3 < 0) { fprintf(stderr, "finish: error %d\n", -n3); return 0; }
  if (check && !hex_equal(mem->data + out, (size_t)n3, TRACE_M3, sizeof(TRACE_M3), "message 3")) return 0;
  return 1;
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 50;
  wasm_rt_init();
  Z_handset_init_module();
  Z_handset_instance_t inst;
  struct Z_env_instance_t env;
  Z_handset_instantiate(&inst, &env);
  env.memory = Z_handsetZ_memory(&inst);
  int ok = handshake(&inst, env.memory, 1);
  double best = 1e30, total = 0;
  for (int i = 0; ok && i < iterations; i++) {
    double t0 = now_us();
    ok = handshake(&inst, env.memory, 0);
    double dt = now_us() - t0;
    total += dt;
    if (dt < best) best = dt;
  }
  printf("{\"ok\":%s,\"iterations\":%d,\"handshakeUsMean\":%.1f,\"handshakeUsMin\":%.1f,\"memoryPages\":%llu}\n",
         ok ? "true" : "false", iterations, iterations ? total / iterations : 0.0, best,
         (unsigned long long)(env.memory->size / 65536));
  Z_handset_free(&inst);
  wasm_rt_free();
  return ok ? 0 : 1;
}
