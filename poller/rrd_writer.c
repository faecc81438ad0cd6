/* rrd_writer.c - to be written */
typedef int sdc_placeholder_rrd_writer;
