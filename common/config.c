/* config.c - to be written */
typedef int sdc_placeholder_config;
