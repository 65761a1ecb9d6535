{
  "targets": [
    {
      "target_name": "gpio_cdev",
      "sources": ["gpio_cdev.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}
