/* libvirt_xml.c - to be written */
typedef int sdc_placeholder_libvirt_xml;
