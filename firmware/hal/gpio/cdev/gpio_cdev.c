/*
 * The kernel's GPIO character device (uAPI v2, <linux/gpio.h>, Linux 5.10+) for Node, in plain
 * Node-API. Deliberately thin: file descriptors go to JavaScript as numbers, and the TypeScript
 * side (../cdev-chip.ts) owns them, validates arguments and turns errno codes into typed errors.
 * Edge events are read from a line request's file descriptor when libuv says it is readable.
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uv.h>

#define CALL(env, expr)                                      \
  do {                                                       \
    if ((expr) != napi_ok) {                                 \
      bool pending = false;                                  \
      napi_is_exception_pending((env), &pending);            \
      if (!pending) napi_throw_error((env), NULL, #expr);    \
      return NULL;                                           \
    }                                                        \
  } while (0)

/* Throws an Error shaped like Node's own system errors: message, code, errno, syscall. */
static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", syscall, strerror(err));
  napi_value msg, code, error, num, sys;
  const char *name = uv_err_name(-err);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "missing arguments");
    return false;
  }
  return true;
}

/* A non-negative whole number that fits in uint32, or false (with a TypeError thrown). */
static bool get_u32(napi_env env, napi_value v, const char *what, uint32_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok ||
      d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a whole number 0-4294967295", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

static bool get_fd(napi_env env, napi_value v, int *fd) {
  uint32_t u;
  if (!get_u32(env, v, "fd", &u) || u > INT32_MAX) return false;
  *fd = (int)u;
  return true;
}

static void set_str(napi_env env, napi_value obj, const char *key, const char *buf, size_t max) {
  napi_value v;
  napi_create_string_utf8(env, buf, strnlen(buf, max), &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_u32(napi_env env, napi_value obj, const char *key, uint32_t n) {
  napi_value v;
  napi_create_uint32(env, n, &v);
  napi_set_named_property(env, obj, key, v);
}

/* openChip(path) -> fd */
static napi_value open_chip(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char path[4096];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) return throw_type(env, "path must be a string");
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open", errno);
  /* A GPIO chip answers GPIO_GET_CHIPINFO_IOCTL; anything else is not one. */
  struct gpiochip_info ci;
  memset(&ci, 0, sizeof ci);
  if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &ci) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "GPIO_GET_CHIPINFO_IOCTL", err);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/* closeFd(fd) */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return NULL;
}

/* chipInfo(fd) -> { name, label, lines } */
static napi_value chip_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  struct gpiochip_info ci;
  memset(&ci, 0, sizeof ci);
  if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &ci) < 0) return throw_errno(env, "GPIO_GET_CHIPINFO_IOCTL", errno);
  napi_value out;
  CALL(env, napi_create_object(env, &out));
  set_str(env, out, "name", ci.name, sizeof ci.name);
  set_str(env, out, "label", ci.label, sizeof ci.label);
  set_u32(env, out, "lines", ci.lines);
  return out;
}

/* lineInfo(fd, offset) -> { offset, name, consumer, flags, debouncePeriodUs } */
static napi_value line_info(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  uint32_t offset;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &fd) || !get_u32(env, argv[1], "offset", &offset)) return NULL;
  struct gpio_v2_line_info li;
  memset(&li, 0, sizeof li);
  li.offset = offset;
  if (ioctl(fd, GPIO_V2_GET_LINEINFO_IOCTL, &li) < 0) return throw_errno(env, "GPIO_V2_GET_LINEINFO_IOCTL", errno);
  uint32_t debounce = 0;
  for (uint32_t i = 0; i < li.num_attrs && i < GPIO_V2_LINE_NUM_ATTRS_MAX; i++)
    if (li.attrs[i].id == GPIO_V2_LINE_ATTR_ID_DEBOUNCE) debounce = li.attrs[i].debounce_period_us;
  napi_value out;
  CALL(env, napi_create_object(env, &out));
  set_u32(env, out, "offset", li.offset);
  set_str(env, out, "name", li.name, sizeof li.name);
  set_str(env, out, "consumer", li.consumer, sizeof li.consumer);
  /* Every flag the kernel defines today sits in the low 32 bits. */
  set_u32(env, out, "flags", (uint32_t)li.flags);
  set_u32(env, out, "debouncePeriodUs", debounce);
  return out;
}

static bool get_prop(napi_env env, napi_value obj, const char *key, napi_value *out, bool *present) {
  if (napi_has_named_property(env, obj, key, present) != napi_ok) return false;
  if (!*present) return true;
  if (napi_get_named_property(env, obj, key, out) != napi_ok) return false;
  napi_valuetype t;
  napi_typeof(env, *out, &t);
  if (t == napi_undefined) *present = false;
  return true;
}

/*
 * requestLines(chipFd, { offsets, consumer, flags, debouncePeriodUs?, outputValues?, eventBufferSize? })
 *   -> request fd. One flag set for every line of the request; outputValues[i] is line i's level
 *   at request (outputs only).
 */
static napi_value request_lines(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  napi_value cfg = argv[1], v;
  bool present;
  struct gpio_v2_line_request req;
  memset(&req, 0, sizeof req);

  if (!get_prop(env, cfg, "offsets", &v, &present)) return NULL;
  bool is_array = false;
  if (present) napi_is_array(env, v, &is_array);
  if (!is_array) return throw_type(env, "offsets must be an array");
  uint32_t n;
  napi_get_array_length(env, v, &n);
  if (n == 0 || n > GPIO_V2_LINES_MAX) return throw_type(env, "offsets must hold 1-64 line offsets");
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    if (!get_u32(env, e, "offsets[i]", &req.offsets[i])) return NULL;
  }
  req.num_lines = n;

  if (!get_prop(env, cfg, "consumer", &v, &present)) return NULL;
  size_t len = 0;
  if (!present || napi_get_value_string_utf8(env, v, req.consumer, sizeof req.consumer, &len) != napi_ok)
    return throw_type(env, "consumer must be a string");

  uint32_t flags = 0;
  if (!get_prop(env, cfg, "flags", &v, &present)) return NULL;
  if (present && !get_u32(env, v, "flags", &flags)) return NULL;
  req.config.flags = flags;

  if (!get_prop(env, cfg, "debouncePeriodUs", &v, &present)) return NULL;
  if (present) {
    uint32_t us;
    if (!get_u32(env, v, "debouncePeriodUs", &us)) return NULL;
    if (us > 0) {
      struct gpio_v2_line_config_attribute *a = &req.config.attrs[req.config.num_attrs++];
      a->attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE;
      a->attr.debounce_period_us = us;
      a->mask = n == 64 ? UINT64_MAX : (((uint64_t)1 << n) - 1);
    }
  }

  if (!get_prop(env, cfg, "outputValues", &v, &present)) return NULL;
  if (present) {
    napi_is_array(env, v, &is_array);
    uint32_t m = 0;
    if (is_array) napi_get_array_length(env, v, &m);
    if (!is_array || m != n) return throw_type(env, "outputValues must hold one 0 or 1 per offset");
    struct gpio_v2_line_config_attribute *a = &req.config.attrs[req.config.num_attrs++];
    a->attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      uint32_t bit;
      napi_get_element(env, v, i, &e);
      if (!get_u32(env, e, "outputValues[i]", &bit)) return NULL;
      if (bit > 1) return throw_type(env, "outputValues must hold one 0 or 1 per offset");
      if (bit) a->attr.values |= (uint64_t)1 << i;
      a->mask |= (uint64_t)1 << i;
    }
  }

  if (!get_prop(env, cfg, "eventBufferSize", &v, &present)) return NULL;
  if (present && !get_u32(env, v, "eventBufferSize", &req.event_buffer_size)) return NULL;

  if (ioctl(fd, GPIO_V2_GET_LINE_IOCTL, &req) < 0) return throw_errno(env, "GPIO_V2_GET_LINE_IOCTL", errno);
  napi_value out;
  napi_create_int32(env, req.fd, &out);
  return out;
}

static uint64_t mask_of(uint32_t n) { return n >= 64 ? UINT64_MAX : (((uint64_t)1 << n) - 1); }

/* getValues(requestFd, count) -> [0|1, ...] (logical levels: active-low already applied) */
static napi_value get_values(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  uint32_t n;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &fd) || !get_u32(env, argv[1], "count", &n)) return NULL;
  if (n == 0 || n > GPIO_V2_LINES_MAX) return throw_type(env, "count must be 1-64");
  struct gpio_v2_line_values lv = { .bits = 0, .mask = mask_of(n) };
  if (ioctl(fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &lv) < 0) return throw_errno(env, "GPIO_V2_LINE_GET_VALUES_IOCTL", errno);
  napi_value out;
  CALL(env, napi_create_array_with_length(env, n, &out));
  for (uint32_t i = 0; i < n; i++) {
    napi_value b;
    napi_create_uint32(env, (uint32_t)((lv.bits >> i) & 1), &b);
    napi_set_element(env, out, i, b);
  }
  return out;
}

/* setValues(requestFd, [0|1|null, ...]): null leaves that line as it is. */
static napi_value set_values(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  if (!is_array) return throw_type(env, "values must be an array");
  uint32_t n;
  napi_get_array_length(env, argv[1], &n);
  if (n == 0 || n > GPIO_V2_LINES_MAX) return throw_type(env, "values must hold 1-64 entries");
  struct gpio_v2_line_values lv = { 0, 0 };
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_valuetype t;
    napi_get_element(env, argv[1], i, &e);
    napi_typeof(env, e, &t);
    if (t == napi_null || t == napi_undefined) continue;
    uint32_t bit;
    if (!get_u32(env, e, "values[i]", &bit)) return NULL;
    if (bit > 1) return throw_type(env, "values must be 0, 1 or null");
    lv.mask |= (uint64_t)1 << i;
    if (bit) lv.bits |= (uint64_t)1 << i;
  }
  if (lv.mask == 0) return NULL;
  if (ioctl(fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &lv) < 0) return throw_errno(env, "GPIO_V2_LINE_SET_VALUES_IOCTL", errno);
  return NULL;
}

/* ---- edge events ---- */

/*
 * One watch. Its memory outlives both owners: libuv's handle (closed by stop_watcher) and the
 * JavaScript handle (collected by the garbage collector); whichever lets go last frees it, so
 * unwatch() on a stopped watch is harmless.
 */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int fd;
  bool active;
  bool closed;
  bool finalized;
} watcher_t;

static void on_closed(uv_handle_t *h) {
  watcher_t *w = h->data;
  w->closed = true;
  if (w->finalized) free(w);
}

static void stop_watcher(watcher_t *w) {
  if (!w->active) return;
  w->active = false;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->context);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

/* Hands every event waiting in the request's queue to the callback as one array. */
static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  watcher_t *w = handle->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value list, cb, global, error = NULL;
  napi_create_array(env, &list);
  uint32_t count = 0;
  if (status < 0) {
    napi_value code, msg;
    napi_create_string_utf8(env, uv_err_name(status), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, uv_strerror(status), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
  } else {
    struct gpio_v2_line_event buf[16];
    for (;;) {
      ssize_t got = read(w->fd, buf, sizeof buf);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          napi_value code, msg;
          napi_create_string_utf8(env, uv_err_name(-errno), NAPI_AUTO_LENGTH, &code);
          napi_create_string_utf8(env, strerror(errno), NAPI_AUTO_LENGTH, &msg);
          napi_create_error(env, code, msg, &error);
        }
        break;
      }
      if (got == 0) {
        /* Never from a line request (it blocks or says EAGAIN): the other end is gone. */
        napi_value code, msg;
        napi_create_string_utf8(env, "EOF", NAPI_AUTO_LENGTH, &code);
        napi_create_string_utf8(env, "end of file", NAPI_AUTO_LENGTH, &msg);
        napi_create_error(env, code, msg, &error);
        break;
      }
      size_t k = (size_t)got / sizeof buf[0];
      for (size_t i = 0; i < k; i++) {
        napi_value e, edge, ts;
        napi_create_object(env, &e);
        set_u32(env, e, "offset", buf[i].offset);
        napi_create_string_utf8(env, buf[i].id == GPIO_V2_LINE_EVENT_RISING_EDGE ? "rising" : "falling", NAPI_AUTO_LENGTH, &edge);
        napi_set_named_property(env, e, "edge", edge);
        napi_create_bigint_uint64(env, buf[i].timestamp_ns, &ts);
        napi_set_named_property(env, e, "timestampNs", ts);
        set_u32(env, e, "seqno", buf[i].seqno);
        set_u32(env, e, "lineSeqno", buf[i].line_seqno);
        napi_set_element(env, list, count++, e);
      }
      if (k < sizeof buf / sizeof buf[0]) break;
    }
  }
  bool deliver = (count > 0 || error) && w->active;
  if (deliver) {
    napi_get_reference_value(env, w->callback, &cb);
    napi_get_global(env, &global);
    napi_value args[2];
    napi_get_null(env, &args[0]);
    if (error) args[0] = error;
    args[1] = list;
    napi_value result;
    if (napi_make_callback(env, w->context, global, cb, 2, args, &result) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value exc;
        napi_get_and_clear_last_exception(env, &exc);
        napi_fatal_exception(env, exc);
      }
    }
  }
  /* A request whose chip went away stays readable with an error: stop, or libuv would spin. */
  if (error) stop_watcher(w);
  napi_close_handle_scope(env, scope);
}

static void finalize_watcher(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watcher_t *w = data;
  w->finalized = true;
  if (w->active) stop_watcher(w);
  else if (w->closed) free(w);
}

/* watch(requestFd, (err, events) => void) -> handle. The fd is made non-blocking. */
static napi_value watch(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) return throw_type(env, "callback must be a function");
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return throw_errno(env, "fcntl", errno);
  uv_loop_t *loop;
  CALL(env, napi_get_uv_event_loop(env, &loop));
  watcher_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "calloc", ENOMEM);
  w->env = env;
  w->fd = fd;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc < 0) {
    free(w);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    w->finalized = true;
    uv_close((uv_handle_t *)&w->poll, on_closed);
    return throw_errno(env, "uv_poll_start", -rc);
  }
  napi_value name;
  napi_create_string_utf8(env, "roombox:gpio-edge", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->context);
  napi_create_reference(env, argv[1], 1, &w->callback);
  w->active = true;
  napi_value handle;
  CALL(env, napi_create_external(env, w, finalize_watcher, NULL, &handle));
  return handle;
}

/* unwatch(handle): stops watching; the request fd stays open. Idempotent. A handle the garbage
 * collector takes stops its watch too: keep it for as long as the watch is wanted. */
static napi_value unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  void *data;
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t != napi_external || napi_get_value_external(env, argv[0], &data) != napi_ok) return throw_type(env, "handle must come from watch()");
  stop_watcher(data);
  return NULL;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "openChip", open_chip);
  export_fn(env, exports, "closeFd", close_fd);
  export_fn(env, exports, "chipInfo", chip_info);
  export_fn(env, exports, "lineInfo", line_info);
  export_fn(env, exports, "requestLines", request_lines);
  export_fn(env, exports, "getValues", get_values);
  export_fn(env, exports, "setValues", set_values);
  export_fn(env, exports, "watch", watch);
  export_fn(env, exports, "unwatch", unwatch);

  napi_value c;
  napi_create_object(env, &c);
  set_u32(env, c, "LINE_FLAG_USED", GPIO_V2_LINE_FLAG_USED);
  set_u32(env, c, "LINE_FLAG_ACTIVE_LOW", GPIO_V2_LINE_FLAG_ACTIVE_LOW);
  set_u32(env, c, "LINE_FLAG_INPUT", GPIO_V2_LINE_FLAG_INPUT);
  set_u32(env, c, "LINE_FLAG_OUTPUT", GPIO_V2_LINE_FLAG_OUTPUT);
  set_u32(env, c, "LINE_FLAG_EDGE_RISING", GPIO_V2_LINE_FLAG_EDGE_RISING);
  set_u32(env, c, "LINE_FLAG_EDGE_FALLING", GPIO_V2_LINE_FLAG_EDGE_FALLING);
  set_u32(env, c, "LINE_FLAG_OPEN_DRAIN", GPIO_V2_LINE_FLAG_OPEN_DRAIN);
  set_u32(env, c, "LINE_FLAG_OPEN_SOURCE", GPIO_V2_LINE_FLAG_OPEN_SOURCE);
  set_u32(env, c, "LINE_FLAG_BIAS_PULL_UP", GPIO_V2_LINE_FLAG_BIAS_PULL_UP);
  set_u32(env, c, "LINE_FLAG_BIAS_PULL_DOWN", GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN);
  set_u32(env, c, "LINE_FLAG_BIAS_DISABLED", GPIO_V2_LINE_FLAG_BIAS_DISABLED);
  set_u32(env, c, "LINES_MAX", GPIO_V2_LINES_MAX);
  set_u32(env, c, "MAX_NAME_SIZE", GPIO_MAX_NAME_SIZE);
  napi_set_named_property(env, exports, "constants", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
