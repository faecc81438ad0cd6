/* sched.c - to be written */
typedef int sdc_placeholder_sched;
