/* Internal to builder/sandbox: process attributes that keep a step away from kiln, its session
 * and terminal, and other processes' view (issue 13 items 1 and 6). Each returns 0 or -1 with
 * errno set; the caller reports the failure over the channel.
 *
 *   sbx_harden_child_start   first thing in the cloned child: unmaps the secret values and the
 *                            leak scanner (secmem_drop_helpers), setsid() (a new session without a
 *                            controlling terminal, out of kiln's process group), and dumpable only
 *                            while the id map is written by someone else (rootless)
 *   sbx_harden_after_map     once the child is container root: never dumpable again (the step's
 *                            init holds a copy of kiln's memory)
 *   sbx_harden_step          in the step's process before exec: its own session and group, so
 *                            kill(0, ...) and kill(-pgrp) reach only the step */
#ifndef KILN_SANDBOX_HARDEN_H
#define KILN_SANDBOX_HARDEN_H

#include "sandbox_int.h"

int sbx_harden_child_start(const struct sbx_child *c);
int sbx_harden_after_map(void);
int sbx_harden_step(void);

#endif
