/* libvirt_stats.c - to be written */
typedef int sdc_placeholder_libvirt_stats;
