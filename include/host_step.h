/*
 * host_step - one MX host's step over all its slots, as one pure function
 * beside machine_step: no I/O, no clock, no globals.
 *
 * host_step(slots, n, now, policy, out) steps every slot with machine_step
 * and decides what the host does with the steps: which slots run an action
 * of their own, the one host-wide publish or observe the others share (the
 * TLSA RRset is the host's, so all slots change it in one update: a publish
 * if any slot needs one, else an observe if any needs one), which slots
 * have a state or wake to record, which next keys are given up
 * (machine_next_lost), and what the host reports (worst alert, busy,
 * stuck). The engine loads the facts, carries this out and stores the
 * results; engine_due asks host_step_due whether there is anything to
 * carry out at all.
 *
 * Slots are named by their index in the caller's array, as bits of the
 * masks; a host has at most HOST_STEP_MAX_SLOTS (one per key algorithm),
 * and slots past that are not stepped.
 */
#ifndef DANEROLL_HOST_STEP_H
#define DANEROLL_HOST_STEP_H

#include <time.h>

#include "machine.h"

#define HOST_STEP_MAX_SLOTS	KEY_ALG_COUNT

/* A slot as stored, and its facts now. */
struct host_slot {
	enum slot_state		 state;
	time_t			 wake_at;	/* as stored */
	struct slot_facts	 facts;
};

struct host_step {
	int			 nslots;
	struct slot_step	 step[HOST_STEP_MAX_SLOTS];
	unsigned		 local;		/* slots with an action of their
						 * own (not publish, observe) */
	/* The host-wide action (ACT_PUBLISH, ACT_OBSERVE or ACT_NONE),
	 * and the slots that asked for it: they take its outcome. */
	enum slot_action	 shared;
	unsigned		 sharing;
	unsigned		 record;	/* idle, with a state or wake
						 * other than the stored one */
	unsigned		 lost_next;	/* next key to discard */
	unsigned		 backoff;	/* backing off: a failure the
						 * run reports */
	unsigned		 critical;	/* slots with a critical alert */
	enum alert_level	 alert;		/* the worst */
	int			 busy;		/* a slot is mid-rollover */
	int			 stuck;		/* a slot only the operator can
						 * move on (machine_stuck) */
};

void	host_step(const struct host_slot *, int n, time_t now,
	    const struct slot_policy *, struct host_step *);

/* Has the step anything to carry out, record, report or drop? */
int	host_step_due(const struct host_step *);

#endif
