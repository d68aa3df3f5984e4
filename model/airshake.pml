/*
 * airshake handshake (docs/PROTOCOL.md, suite 1) against a Dolev-Yao attacker: a symbolic model
 * for SPIN (suite 3, the forward-secret one: airshake3.pml). docs/MODEL.md explains the
 * abstractions; scripts/verify-model.mjs runs every check.
 *
 *   1  A -> B : offer, random_A, time, ID_A
 *   2  B -> A : suite, random_B, C_B, MAC_B = KDF(PRK, "mac_b" || TH2)
 *   3  A -> B : MAC_A = KDF(PRK, "mac_a" || TH3), record
 *   Z = DH(sk_A, pk_B) = DH(sk_B, pk_A);  PRK = KDF(random_A || random_B, Z)
 *
 * Select one property per run (the script passes exactly one):
 *   -DPROP_AGREE      injective agreement, both directions (= PROP_AGREE_A + PROP_AGREE_B)
 *   -DPROP_AGREE_A    ... A's completion with B only
 *   -DPROP_AGREE_B    ... B's completion with A only
 *   -DPROP_SECRECY    the attacker never derives a session key of an A-B session
 *   -DPROP_DOWNGRADE  A completes with B only on the suite B picks from A's true offer
 *   -DPROP_REPLAY     B never completes twice for the same (ID_A, random_A)
 *   -DREACH_AB        sanity: asserts that A and B never complete together (must FAIL)
 * Deliberate weakenings (each must yield a counterexample):
 *   -DWEAK_KCI             the attacker also holds sk_A (impersonates B to A)
 *   -DWEAK_KCI_B           the attacker also holds sk_B (impersonates A to B)
 *   -DWEAK_MAC_NO_SUITES   MAC_B leaves A's suite list out of TH2
 *   -DWEAK_NO_NAME_CHECK   A accepts any CA-signed certificate, not only the expected name
 *   -DWEAK_NO_REPLAY_CACHE B keeps no replay cache
 *   -DREPLAY_HONEST_ONLY   replay checks only for hellos A sent (holds even without the cache)
 * Time (off by default: a hello is never accepted twice, see FRESH):
 *   -DTIMED                an explicit clock (0..TMAX, unit W), A's clock within W of B's, the
 *                          window check and cache entries that expire after CACHE_LIFE (2) W
 *   -DPROP_REPLAY_ACCEPT   B never even accepts (passes message-1 checks) a hello twice
 *   -DNO_RESTAMP           the attacker replays A's hellos with their time field unchanged
 *   -DCACHE_LIFE=1         weakening: cache entries kept W instead of 2W
 * Bounds: -DNA=n sessions of A, -DNB=n sessions of B (1..3 each, NA + NB <= 6; default 2, 2),
 *   -DTMAX=n the last clock value (default 3).
 *   -DALL_OFFERS           also let the attacker send the offer [1] (see the attacker below)
 *
 * Structure: each agent is a set of event handlers (A: start, on_response; B: on_hello,
 * on_finish), as in the implementations (Handset.start/finish, the server's message handlers).
 * One process, the network, is the attacker: in each step it either lets A start a session or
 * delivers a message it built to a session waiting for one, and the receiver's handler runs
 * atomically. All of a handler's state is in the global arrays below.
 */

#ifndef NA
#define NA 2
#endif
#ifndef NB
#define NB 2
#endif

#ifndef TMAX
#define TMAX 3
#endif

#ifdef PROP_AGREE
#define PROP_AGREE_A
#define PROP_AGREE_B
#endif

/* Agents (also their certified names and IDs). I is the attacker: a legitimately enrolled
   party with its own static key and certificate, usable both as a handset and as a server. */
#define A 1
#define B 2
#define I 3

/* Nonces: one fresh random per honest session, plus the attacker's own. 0 = none. */
#define NONCE_A(i) (1 + (i))
#define NONCE_B(j) (1 + NA + (j))
#define NI         (1 + NA + NB)

/* Suites and offers (ordered lists of suite ids). A always offers [1, 2]. B prefers 1. */
#define OFFER_12   1
#define OFFER_21   2
#define OFFER_1    3
#define OFFER_2    4
#define OFFER_TRUE OFFER_12
#define PICK(o)    ((o) == OFFER_2 -> 2 : 1)    /* first suite in B's list [1, 2] that A offered */

/* Session states. */
#define IDLE  0    /* A: not started           B: waiting for message 1 */
#define SENT1 1    /* A: message 1 sent        */
#define SENT2 1    /*                          B: message 2 sent, waiting for message 3 */
#define DONE  2    /* completed (A: message 2 accepted and message 3 sent; B: MAC_A accepted) */
#define ABORTED 3  /*                          B: ended after message 2 without completing (timeout,
                                                  eviction, a failed message 3, a lost connection):
                                                  its pair leaves the replay cache */

/* Symbolic terms. DH(x, y) is an unordered pair: ZC(x, y) = ZC(y, x). KDF/MAC outputs are an
   injective packing of the constructor label and all its arguments: two terms are equal iff
   they were built from the same arguments (perfect crypto, no collisions). */
#define ZC(x, y)   ((x) < (y) -> (x) * 4 + (y) : (y) * 4 + (x))
#define L_MACB 1
#define L_MACA 2
#define L_KEY  3
#define TERM(l, z, ra, rb, o, t, ida, s, srv) \
  (((l) << 22) | ((z) << 18) | ((ra) << 15) | ((rb) << 12) | ((o) << 9) | ((t) << 6) | ((ida) << 4) | ((s) << 2) | (srv))

/* MAC_B covers TH2 = message 1 (suite list included) || message 2 without MAC_B. */
#ifdef WEAK_MAC_NO_SUITES
#define MACB_OFFER(o) 0
#else
#define MACB_OFFER(o) (o)
#endif
#define MACB(z, ra, rb, o, t, ida, s, srv) TERM(L_MACB, z, ra, rb, MACB_OFFER(o), t, ida, s, srv)
#define MACA(z, ra, rb, o, t, ida, s, srv) TERM(L_MACA, z, ra, rb, o, t, ida, s, srv)
#define KEY(z, ra, rb, o, t, ida, s, srv)  TERM(L_KEY, z, ra, rb, o, t, ida, s, srv)

/* Static private keys the attacker holds: its own, sk_A under WEAK_KCI, sk_B under WEAK_KCI_B.
   It can compute DH(x, y) iff it holds sk_x or sk_y (public keys are public). */
#ifdef WEAK_KCI
#define HAS_SK_A true
#else
#define HAS_SK_A false
#endif
#ifdef WEAK_KCI_B
#define HAS_SK_B true
#else
#define HAS_SK_B false
#endif
#define HAS_SK(x)  ((x) == I || ((x) == A && HAS_SK_A) || ((x) == B && HAS_SK_B))
#define KNOWS_Z(x, y) (HAS_SK(x) || HAS_SK(y))

/* ---- Session state. Everything an honest agent sends is a function of it, so it is also
   the record of what the attacker has seen. ---- */
byte aSt[NA];      /* A session i: IDLE, SENT1 or DONE                                  */
byte aPeer[NA];    /* its expected server name (A is provisioned with one): B or I      */
byte aSuite[NA];   /* from the message 2 A accepted                                     */
byte aRB[NA];
byte aSrv[NA];     /* subject of the certificate A accepted                             */
byte bSt[NB];      /* B session j: IDLE, SENT2, DONE or ABORTED                         */
byte bId[NB];      /* ID_A, random_A and offer from the hello B accepted                */
byte bRA[NB];
byte bOffer[NB];
byte bSuite[NB];   /* the suite B chose                                                 */
#ifdef TIMED
byte now;          /* B's clock, in units of the window W (A's is within W of it)        */
byte aTime[NA];    /* time field of A's hello                                           */
byte bTime[NB];    /* time field of the hello B accepted                                */
byte bAcc[NB];     /* B's clock when it accepted it (the cache entry then lives 2W)     */
#define A_TIME(i) aTime[i]
#define B_TIME(j) bTime[j]
#else
#define A_TIME(i) 0
#define B_TIME(j) 0
#endif

/* Scratch: message fields and loop counters, always written before being read within one
   atomic step, so they carry nothing between steps and stay out of the state vector. */
hidden byte hi, hj, ho, hn, hid, hs, hsrv, ht, k, found;
hidden int hm;

/* ---- What the attacker knows ---- */

/* Randoms: its own, and every random an honest session has sent. */
#define KNOWN_N(n) ((n) == NI || ((n) >= 1 && (n) <= NA && aSt[(n) - 1] != IDLE) || \
                    ((n) > NA && (n) < NI && bSt[(n) - 1 - NA] >= SENT2))

/* The MAC A session i recomputes for a message 2 (suite s, random rb, certificate of srv), and
   the MAC_A B session j recomputes for message 3. */
#define A_EXPECTS(i, s, rb, srv) MACB(ZC(A, srv), NONCE_A(i), rb, OFFER_TRUE, A_TIME(i), A, s, srv)
#define B_EXPECTS(j) MACA(ZC(B, bId[j]), bRA[j], NONCE_B(j), bOffer[j], B_TIME(j), bId[j], bSuite[j], B)

/* The MACs on the air: MAC_B of every B session that sent message 2, MAC_A of every A session
   that sent message 3. */
#define MACB_SENT(j) MACB(ZC(B, bId[j]), bRA[j], NONCE_B(j), bOffer[j], B_TIME(j), bId[j], bSuite[j], B)
#define MACA_SENT(i) MACA(ZC(A, aSrv[i]), NONCE_A(i), aRB[i], OFFER_TRUE, A_TIME(i), A, aSuite[i], aSrv[i])
#define SEEN_B(x, t) ((x) < NB && bSt[x] >= SENT2 && MACB_SENT(x) == (t))
#define SEEN_A(x, t) ((x) < NA && aSt[x] == DONE && MACA_SENT(x) == (t))
#define SEEN(t) (SEEN_B(0, t) || SEEN_B(1, t) || SEEN_B(2, t) || SEEN_A(0, t) || SEEN_A(1, t) || SEEN_A(2, t))

/* Dolev-Yao derivability of a KDF/MAC term t keyed (through PRK) by DH(x, y): the attacker has
   seen t on the air, or it can compute DH(x, y) (every other input is public). */
#define DERIVABLE(t, x, y) (KNOWS_Z(x, y) || SEEN(t))

/* Session keys as each side derived them (k_AB, k_BA, the ivs: KDFs of PRK and TH3). */
#define A_KEY(i) KEY(ZC(A, aSrv[i]), NONCE_A(i), aRB[i], OFFER_TRUE, A_TIME(i), A, aSuite[i], aSrv[i])
#define B_KEY(j) KEY(ZC(B, bId[j]), bRA[j], NONCE_B(j), bOffer[j], B_TIME(j), bId[j], bSuite[j], B)

/* ---- B's checks ---- */

/* Freshness. Untimed (default): the replay cache holds the (ID_A, random_A) of every hello B
   accepted while its session waits for message 3 or has completed, for ever: the real cache
   keeps a pair for 2W, as long as the same hello could still pass the window check
   |time - now| <= W, and an older hello is stale; time itself is abstracted away. A session that
   ends without completing (ABORTED) removes its pair, as server B does (PROTOCOL.md, server
   steps 3 and 6). TIMED: an explicit clock, the window check on the hello's time field and
   cache entries that expire 2W after acceptance. */
#ifdef TIMED
#ifndef CACHE_LIFE
#define CACHE_LIFE 2        /* in units of W: the spec's 2W */
#endif
#define LIVE(x) (bAcc[x] + CACHE_LIFE >= now)
#define IN_WINDOW(t) ((t) + 1 >= now && (t) <= now + 1)
#else
#define LIVE(x) true
#define IN_WINDOW(t) true
#endif
#define PENDING_OR_DONE(x) (bSt[x] == SENT2 || bSt[x] == DONE)
#define CACHED(x, id, ra) ((x) < NB && PENDING_OR_DONE(x) && LIVE(x) && bId[x] == (id) && bRA[x] == (ra))
#ifdef WEAK_NO_REPLAY_CACHE
#define FRESH(id, ra, t) IN_WINDOW(t)
#else
#define FRESH(id, ra, t) (IN_WINDOW(t) && !(CACHED(0, id, ra) || CACHED(1, id, ra) || CACHED(2, id, ra)))
#endif

/* A's check of C_B: CA signature, validity, key usage, and CN = the expected server name. */
#ifdef WEAK_NO_NAME_CHECK
#define NAME_OK(srv, peer) true
#else
#define NAME_OK(srv, peer) ((srv) == (peer))
#endif

/* ---- Properties, checked when a session completes ---- */

/* (ID_A, random_A) of a hello A really sent (REPLAY_HONEST_ONLY restricts the replay checks to
   those: the attacker may of course reuse its own ID and randoms as often as B lets it). */
#define HONEST_HELLO(id, ra) ((id) == A && (ra) >= 1 && (ra) <= NA)

inline check_A_done(i) {
#ifdef PROP_AGREE_A
  /* A completed with B: some B session that answered A's hello sent message 2 on the same
     identities, randoms, offer and suite, hence the same keys (A_KEY packs all of them)... */
  if
  :: aPeer[i] == B ->
     found = false;
     for (k : 0 .. NB - 1) {
       if
       :: bSt[k] >= SENT2 && bId[k] == A && B_KEY(k) == A_KEY(i) -> found = true
       :: else
       fi
     }
     assert(found);
     /* ...and no other A session completed on that same B session (injective). */
     for (k : 0 .. NA - 1) {
       assert(k == i || !(aSt[k] == DONE && aPeer[k] == B && aRB[k] == aRB[i]))
     }
  :: else
  fi;
#endif
#ifdef PROP_SECRECY
  /* A believes it shares the key with B: the attacker cannot derive it. */
  assert(aPeer[i] != B || !DERIVABLE(A_KEY(i), A, aSrv[i]));
#endif
#ifdef PROP_DOWNGRADE
  /* A completed with B: on the suite B picks from A's true offer [1, 2]. */
  assert(aPeer[i] != B || aSuite[i] == PICK(OFFER_TRUE));
#endif
  skip
}

inline check_B_done(j) {
#ifdef PROP_AGREE_B
  /* B completed with A: an A session that meant to talk to B completed on the same identities,
     randoms, offer and suite, hence the same keys... */
  if
  :: bId[j] == A ->
     found = false;
     for (k : 0 .. NA - 1) {
       if
       :: aSt[k] == DONE && aPeer[k] == B && A_KEY(k) == B_KEY(j) -> found = true
       :: else
       fi
     }
     assert(found);
     /* ...and no other B session completed with that same A session (injective). */
     for (k : 0 .. NB - 1) {
       assert(k == j || !(bSt[k] == DONE && bId[k] == A && bRA[k] == bRA[j]))
     }
  :: else
  fi;
#endif
#ifdef PROP_SECRECY
  /* B believes it shares the key with A: the attacker cannot derive it. */
  assert(bId[j] != A || !DERIVABLE(B_KEY(j), B, A));
#endif
#ifdef PROP_REPLAY
  /* No two B sessions complete on the same (ID_A, random_A). */
  for (k : 0 .. NB - 1) {
#ifdef REPLAY_HONEST_ONLY
    assert(k == j || !HONEST_HELLO(bId[j], bRA[j]) || !(bSt[k] == DONE && bId[k] == bId[j] && bRA[k] == bRA[j]))
#else
    assert(k == j || !(bSt[k] == DONE && bId[k] == bId[j] && bRA[k] == bRA[j]))
#endif
  }
#endif
#ifdef REACH_AB
  /* Sanity (non-vacuity): claims that no honest A-B handshake on suite 1 ever completes. */
  found = false;
  for (k : 0 .. NA - 1) {
    if
    :: aSt[k] == DONE && aPeer[k] == B && A_KEY(k) == B_KEY(j) && bSuite[j] == 1 -> found = true
    :: else
    fi
  }
  assert(!found);
#endif
  skip
}

/* ---- Trail output (spin -t): agents as letters, randoms as nA0, nB1, nI0 ---- */
#define NAME(x)  ((x) == A -> 'A' : ((x) == B -> 'B' : 'I'))
#define NOWN(n)  ((n) <= NA -> 'A' : ((n) < NI -> 'B' : 'I'))
#define NIDX(n)  ((n) <= NA -> (n) - 1 : ((n) < NI -> (n) - 1 - NA : 0))
inline print_hello(j, o, ra, t, id) {
  if
  :: o == OFFER_12 ->
     printf("B%d: accepts hello (offer [1,2], rA=n%c%d, time %d, ID_A=%c); sends message 2 (suite %d, rB=nB%d, MAC_B)\n",
            j, NOWN(ra), NIDX(ra), t, NAME(id), PICK(o), j)
  :: o == OFFER_21 ->
     printf("B%d: accepts hello (offer [2,1], rA=n%c%d, time %d, ID_A=%c); sends message 2 (suite %d, rB=nB%d, MAC_B)\n",
            j, NOWN(ra), NIDX(ra), t, NAME(id), PICK(o), j)
  :: o == OFFER_1 ->
     printf("B%d: accepts hello (offer [1], rA=n%c%d, time %d, ID_A=%c); sends message 2 (suite %d, rB=nB%d, MAC_B)\n",
            j, NOWN(ra), NIDX(ra), t, NAME(id), PICK(o), j)
  :: o == OFFER_2 ->
     printf("B%d: accepts hello (offer [2], rA=n%c%d, time %d, ID_A=%c); sends message 2 (suite %d, rB=nB%d, MAC_B)\n",
            j, NOWN(ra), NIDX(ra), t, NAME(id), PICK(o), j)
  fi
}

/* ---- Honest handset A ---- */

/* start(): A, provisioned with one expected server name (B, or the attacker I: A can be made to
   talk to a dishonest server), sends message 1 = (OFFER_TRUE, NONCE_A(i), time, A). */
inline handset_start(i) {
  if
  :: aPeer[i] = B
  :: aPeer[i] = I
  fi;
#ifdef TIMED
  if                  /* A's clock is within W of B's */
  :: aTime[i] = now
  :: now > 0 -> aTime[i] = now - 1
  :: aTime[i] = now + 1
  fi;
#endif
  aSt[i] = SENT1;
  printf("A%d: start, expects server %c; sends hello (offer [1,2], rA=nA%d, time %d, ID_A=A)\n",
         i, NAME(aPeer[i]), i, A_TIME(i))
}

/* finish(message 2): decode, suite offered, C_B (name), MAC_B over A's own view of the
   transcript; then MAC_A and the keys, and message 3 = (MAC_A, record). Every error is fatal in
   the protocol; here the session just stays as it was, a superset of behaviours (the attacker
   may never send anything else), so safety results carry over. */
inline handset_on_response(i, s, rb, srv, mac) {
  if
  :: (s == 1 || s == 2) && NAME_OK(srv, aPeer[i]) && mac == A_EXPECTS(i, s, rb, srv) ->
     aSuite[i] = s;
     aRB[i] = rb;
     aSrv[i] = srv;
     aSt[i] = DONE;
     printf("A%d: accepts message 2 (suite %d, rB=n%c%d, C_%c, MAC_B ok); sends MAC_A; completes with %c\n",
            i, s, NOWN(rb), NIDX(rb), NAME(srv), NAME(aPeer[i]));
     check_A_done(i)
  :: else
  fi
}

/* ---- Honest server B ---- */

/* Message 1: C_A enrolled and valid (A's or the attacker's own), fresh and not a replay; the
   suite; MAC_B; message 2 = (suite, NONCE_B(j), C_B, MAC_B). */
inline server_on_hello(j, o, ra, t, id) {
  if
  :: (id == A || id == I) && FRESH(id, ra, t) ->
     print_hello(j, o, ra, t, id);
#ifdef PROP_REPLAY_ACCEPT
     /* No hello is accepted again while an earlier acceptance of it waits for message 3 or has
        completed (under REPLAY_HONEST_ONLY: no hello of A's). One whose session was aborted may
        be: B removed its pair. */
     for (k : 0 .. NB - 1) {
#ifdef REPLAY_HONEST_ONLY
       assert(!HONEST_HELLO(id, ra) || !(PENDING_OR_DONE(k) && bId[k] == id && bRA[k] == ra))
#else
       assert(!(PENDING_OR_DONE(k) && bId[k] == id && bRA[k] == ra))
#endif
     }
#endif
#ifdef TIMED
     bTime[j] = t;
     bAcc[j] = now;
#endif
     bOffer[j] = o;
     bRA[j] = ra;
     bId[j] = id;
     bSuite[j] = PICK(o);
     bSt[j] = SENT2
  :: else
  fi
}

/* Message 3: MAC_A over B's transcript (the record under k_AB adds nothing symbolically). */
inline server_on_finish(j, mac) {
  if
  :: mac == B_EXPECTS(j) ->
     bSt[j] = DONE;
     printf("B%d: MAC_A ok; completes with %c (rA=n%c%d, suite %d)\n", j, NAME(bId[j]), NOWN(bRA[j]), NIDX(bRA[j]), bSuite[j]);
     check_B_done(j)
  :: else
  fi
}

/* ---- The network, run by the Dolev-Yao attacker ----
   Honest agents never send to each other: every delivery is a message the attacker builds from
   its knowledge, so forwarding, replay (to another session, or later), reordering and tampering
   are all special cases, and dropping is not delivering. Its knowledge: all names, public keys
   and certificates (C_B, its own C_I, enrolled both as a handset and as a server), its own sk_I,
   every random and MAC an honest agent has sent, anything computable from those.
   Header fields (suites, randoms, names) it may set to anything it knows. The MAC field: the
   receiver accepts exactly one value (the MAC it recomputes over its own view) and ignores any
   other. So for each header the attacker sends that one value if it can derive it, otherwise
   junk (0, never a MAC): the same reachable states as trying every value it knows.
   Symmetry reduction: an agent's sessions are identical up to the names of their randoms, so A
   starts its sessions in order and a hello goes to the lowest-numbered idle B session. */

#define MAC_OR_JUNK(t, x, y) (DERIVABLE(t, x, y) -> (t) : 0)
#define NEXT_A(x)     ((x) < NA && aSt[x] == IDLE && ((x) == 0 || aSt[(x) - 1] != IDLE))
#define NEXT_B(x)     ((x) < NB && bSt[x] == IDLE && ((x) == 0 || bSt[(x) - 1] != IDLE))
#define WAITING_A(x)  ((x) < NA && aSt[x] == SENT1)
#define WAITING_B(x)  ((x) < NB && bSt[x] == SENT2)

inline pick_nonce() {
  if
  :: KNOWN_N(1) -> hn = 1
  :: KNOWN_N(2) -> hn = 2
  :: KNOWN_N(3) -> hn = 3
  :: KNOWN_N(4) -> hn = 4
  :: KNOWN_N(5) -> hn = 5
  :: KNOWN_N(6) -> hn = 6
  :: KNOWN_N(7) -> hn = 7
  fi
}

active proctype Network() {
end:
  do
  :: atomic {  /* A starts a session */
       if
       :: NEXT_A(0) -> hi = 0
       :: NEXT_A(1) -> hi = 1
       :: NEXT_A(2) -> hi = 2
       fi;
       handset_start(hi);
       hi = 0
     }
  :: atomic {  /* message 1 to B (no MAC: any header the attacker can name goes) */
       if
       :: NEXT_B(0) -> hj = 0
       :: NEXT_B(1) -> hj = 1
       :: NEXT_B(2) -> hj = 2
       fi;
       if
       :: ho = OFFER_12
       :: ho = OFFER_21
#ifdef ALL_OFFERS
       :: ho = OFFER_1   /* same as [2,1] up to renaming: B picks 1, and it is not A's offer */
#endif
       :: ho = OFFER_2
       fi;
       pick_nonce();
       if
       :: hid = A
       :: hid = I
       fi;
#ifdef TIMED
       if
#ifdef NO_RESTAMP
       /* (restricted attacker) A's own hello keeps A's time field */
       :: HONEST_HELLO(hid, hn) -> ht = aTime[hn - 1]
#endif
       :: else ->       /* any time it likes; one outside the window is just refused */
          if
          :: ht = now
          :: now > 0 -> ht = now - 1
          :: ht = now + 1
          fi
       fi;
#endif
       server_on_hello(hj, ho, hn, ht, hid);
       hj = 0
     }
  :: atomic {  /* message 2 to an A session waiting for it */
       if
       :: WAITING_A(0) -> hi = 0
       :: WAITING_A(1) -> hi = 1
       :: WAITING_A(2) -> hi = 2
       fi;
       if
       :: hs = 1
       :: hs = 2
       fi;
       pick_nonce();
       if
       :: hsrv = B     /* C_B (public: B sends it) */
       :: hsrv = I     /* C_I (the attacker's own) */
       fi;
       hm = MAC_OR_JUNK(A_EXPECTS(hi, hs, hn, hsrv), A, hsrv);
       handset_on_response(hi, hs, hn, hsrv, hm);
       hi = 0
     }
  :: atomic {  /* message 3 to a B session waiting for it */
       if
       :: WAITING_B(0) -> hj = 0
       :: WAITING_B(1) -> hj = 1
       :: WAITING_B(2) -> hj = 2
       fi;
       hm = MAC_OR_JUNK(B_EXPECTS(hj), B, bId[hj]);
       server_on_finish(hj, hm);
       hj = 0
     }
  :: atomic {  /* a B session ends without message 3: timeout, eviction, a failed MAC_A */
       if
       :: WAITING_B(0) -> hj = 0
       :: WAITING_B(1) -> hj = 1
       :: WAITING_B(2) -> hj = 2
       fi;
       printf("-- B session %d aborted: its pair leaves the replay cache\n", hj);
       bSt[hj] = ABORTED;
       hj = 0
     }
#ifdef TIMED
  :: atomic { now < TMAX -> now++; printf("-- time passes: now = %d W\n", now) }
#endif
  od
}
