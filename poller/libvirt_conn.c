/* libvirt_conn.c - to be written */
typedef int sdc_placeholder_libvirt_conn;
