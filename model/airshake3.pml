/*
 * airshake suite 3 (docs/PROTOCOL.md, "Suite 3: forward secrecy, C_B encrypted or by reference")
 * against a Dolev-Yao attacker: a symbolic model for SPIN, the companion of airshake.pml (suite 1).
 * docs/MODEL.md explains the abstractions; scripts/verify-model.mjs runs every check.
 *
 *   1  A -> B : HELLO_E   [3], time, ID_A, E_A, (ref_B)
 *   2  B -> A : RESPONSE_E 3, E_B, {(C_B,) MAC_B}_K2     C_B left out when ref_B names it
 *   3  A -> B : record 0 under k_AB (its tag is A's Finished)
 *   ee = DH(e_A, E_B)  es = DH(e_A, pk_B)  se = DH(sk_A, E_B)  ss = DH(sk_A, pk_B)
 *   PRK_2 = Extract(TH2, ee);  K_2 from PRK_2;  PRK_3 = Extract(PRK_2, es || se || ss)
 *   MAC_B = Expand(PRK_3, "mac_b" || TH2b);  k_AB, ... = Expand(PRK_3, ... || TH3)
 *
 * Select one property per run (the script passes exactly one):
 *   -DPROP_AGREE      injective agreement, both directions (= PROP_AGREE_A + PROP_AGREE_B)
 *   -DPROP_AGREE_A    ... A's completion with B only
 *   -DPROP_AGREE_B    ... B's completion with A only
 *   -DPROP_SECRECY    the attacker never derives a session key of an A-B session
 *   -DPROP_FS         forward secrecy: the attacker may learn sk_A and sk_B at any moment (one
 *                     event, COMPROMISE); no session completed before it has a derivable key
 *   -DPROP_REPLAY     B never completes twice for the same (ID_A, E_A)
 *   -DREACH_AB        sanity: asserts that A and B never complete together (must FAIL)
 *   -DREACH_AB_REF    sanity: ... never complete with C_B left out by reference (must FAIL)
 * Static keys the attacker holds from the start (key-compromise impersonation):
 *   -DLEAK_SK_A       sk_A (with PROP_AGREE_A: it must still not impersonate B to A)
 *   -DLEAK_SK_B       sk_B (with PROP_AGREE_B: it must still not impersonate A to B)
 * Deliberate weakenings (each must yield a counterexample):
 *   -DWEAK_NO_EE      PRK_3 without ee (es, se, ss only): no forward secrecy
 *   -DWEAK_NO_ES      PRK_3 without es (ee, se, ss): KCI of B to A with sk_A
 *   -DWEAK_NO_SE      PRK_3 without se (ee, es, ss): KCI of A to B with sk_B
 *   -DWEAK_NO_NAME_CHECK   A accepts any CA-signed C_B, not only the expected name
 *   -DWEAK_NO_REPLAY_CACHE B keeps no replay cache
 * Bounds: -DNA=n sessions of A, -DNB=n sessions of B (1..3 each, NA + NB <= 6; default 2, 2).
 *
 * Structure as in airshake.pml: agents are event handlers (A: start, on_response; B: on_hello,
 * on_finish), the one process Network is the attacker, and each delivery runs the receiver's
 * handler atomically. All of a handler's state is in the global arrays below.
 */

#ifndef NA
#define NA 2
#endif
#ifndef NB
#define NB 2
#endif

#ifdef PROP_AGREE
#define PROP_AGREE_A
#define PROP_AGREE_B
#endif

/* Agents (also their certified names, IDs and static key pairs). I is the attacker, also a
   legitimately enrolled party (handset and server certificates, its own sk_I). */
#define A 1
#define B 2
#define I 3

/* Key pairs, by the id of the public key: the static keys 1..3 (= the agents), one ephemeral
   per honest session, and the attacker's own ephemeral. Every public key is a possible E_A or
   E_B for the attacker once it has seen it (the static ones from the start). 0 = none. */
#define EA(i) (4 + (i))
#define EB(j) (4 + NA + (j))
#define EI    (4 + NA + NB)

/* Session states, as in airshake.pml. */
#define IDLE    0  /* A: not started           B: waiting for message 1 */
#define SENT1   1  /* A: message 1 sent        */
#define SENT2   1  /*                          B: message 2 sent, waiting for message 3 */
#define DONE    2  /* A: message 2 accepted, message 3 sent; B: record 0 authenticated */
#define ABORTED 3  /*                          B: ended without completing: its pair leaves the replay cache */

/* ---- Symbolic terms ----
   KDF/AEAD outputs are an injective packing of a label and the transcript: E_A (ea), E_B (eb),
   ID_A (ida), ref_B of message 1 (r: 0 = none, else the name of the certificate it references),
   and the certificate field of PLAINTEXT_2 (c: 0 = left out, else the certificate's subject).
   ee, es, se, ss are functions of these public values and the server key (that of c, or of the
   certificate r names when c is left out), so the packing determines every input of PRK_3.
   The suite list (only [3]) and the 16-bit time are constants here (see docs/MODEL.md). */
#define L_MACB 1   /* MAC_B (encrypted under K_2 in message 2: symbolically on the air) */
#define L_FIN  2   /* record 0's tag under k_AB: A's Finished                           */
#define L_KEY  3   /* the traffic keys k_AB, k_BA, ivs, u_AB, u_BA (never on the air)  */
#define TERM3(l, ea, eb, ida, r, c) (((l) << 14) | ((ea) << 10) | ((eb) << 6) | ((ida) << 4) | ((r) << 2) | (c))
#define SRV(r, c) ((c) != 0 -> (c) : (r))

/* The attacker holds sk_I, its ephemeral e_I, and, by switch, sk_A / sk_B. Honest ephemeral
   secrets never leak (each is wiped once its session's keys exist). It can compute DH(x, y)
   iff it holds the secret of x or of y. */
#if defined(LEAK_SK_A)
#define SKA_KNOWN true
#elif defined(PROP_FS)
#define SKA_KNOWN leaked
#else
#define SKA_KNOWN false
#endif
#if defined(LEAK_SK_B)
#define SKB_KNOWN true
#elif defined(PROP_FS)
#define SKB_KNOWN leaked
#else
#define SKB_KNOWN false
#endif
#define HAS(k) ((k) == I || (k) == EI || ((k) == A && SKA_KNOWN) || ((k) == B && SKB_KNOWN))
#define KDH(x, y) (HAS(x) || HAS(y))

/* PRK_3 (so every MAC_B, Finished and key of a transcript) needs all four secrets, except the
   one a weakening leaves out of the key schedule. */
#ifdef WEAK_NO_EE
#define K_EE(ea, eb) true
#else
#define K_EE(ea, eb) KDH(ea, eb)
#endif
#ifdef WEAK_NO_ES
#define K_ES(ea, srv) true
#else
#define K_ES(ea, srv) KDH(ea, srv)
#endif
#ifdef WEAK_NO_SE
#define K_SE(ida, eb) true
#else
#define K_SE(ida, eb) KDH(ida, eb)
#endif
#define KNOWS_PRK3(ea, eb, ida, srv) (K_EE(ea, eb) && K_ES(ea, srv) && K_SE(ida, eb) && KDH(ida, srv))

/* ---- Session state (everything an honest agent sent is a function of it) ---- */
byte aSt[NA];      /* A session i: IDLE, SENT1 or DONE                                   */
byte aPeer[NA];    /* its expected server name: B or I                                   */
byte aRef[NA];     /* ref_B in its hello: 0, or aPeer (the C_B it holds is its peer's)    */
byte aEB[NA];      /* E_B of the message 2 it accepted                                   */
byte aC[NA];       /* certificate field of that message 2 (0: left out)                  */
byte bSt[NB];      /* B session j: IDLE, SENT2, DONE or ABORTED                          */
byte bId[NB];      /* ID_A, E_A and ref_B of the hello B accepted                        */
byte bEA[NB];
byte bRef[NB];
#ifdef PROP_FS
bit leaked;        /* the compromise happened (the search stops there)                   */
#endif

/* C_B sent by B session j: left out iff the hello referenced C_B. */
#define B_C(j) (bRef[j] == B -> 0 : B)

hidden byte hi, hj, hid, he, hr, hc, k, found;
hidden int hm;

/* ---- What the attacker knows ---- */

/* Public keys: the static ones and its own ephemeral from the start, an honest ephemeral once
   its owner sent it. */
#define KNOWN_E(e) (((e) >= 1 && (e) <= I) || (e) == EI || \
                    ((e) >= EA(0) && (e) < EA(NA) && aSt[(e) - EA(0)] != IDLE) || \
                    ((e) >= EB(0) && (e) < EI && bSt[(e) - EB(0)] >= SENT2))

#define A_TERM(l, i) TERM3(l, EA(i), aEB[i], A, aRef[i], aC[i])
#define B_TERM(l, j) TERM3(l, bEA[j], EB(j), bId[j], bRef[j], B_C(j))
#define A_KEY(i) A_TERM(L_KEY, i)
#define B_KEY(j) B_TERM(L_KEY, j)
#define A_KNOWS(i) KNOWS_PRK3(EA(i), aEB[i], A, SRV(aRef[i], aC[i]))
#define B_KNOWS(j) KNOWS_PRK3(bEA[j], EB(j), bId[j], B)

/* On the air: MAC_B of every B session that sent message 2, the Finished of every A session
   that sent message 3. */
#define SEEN_B(x, t) ((x) < NB && bSt[x] >= SENT2 && B_TERM(L_MACB, x) == (t))
#define SEEN_A(x, t) ((x) < NA && aSt[x] == DONE && A_TERM(L_FIN, x) == (t))
#define SEEN(t) (SEEN_B(0, t) || SEEN_B(1, t) || SEEN_B(2, t) || SEEN_A(0, t) || SEEN_A(1, t) || SEEN_A(2, t))

/* The MAC_B A session i recomputes for a message 2 (E_B eb, certificate field c), and the
   Finished B session j expects. */
#define A_EXPECTS(i, eb, c) TERM3(L_MACB, EA(i), eb, A, aRef[i], c)
#define B_EXPECTS(j) B_TERM(L_FIN, j)

/* ---- B's checks: freshness on (ID_A, E_A), as airshake.pml's untimed model on (ID_A, random_A) ---- */
#define PENDING_OR_DONE(x) (bSt[x] == SENT2 || bSt[x] == DONE)
#define CACHED(x, id, ea) ((x) < NB && PENDING_OR_DONE(x) && bId[x] == (id) && bEA[x] == (ea))
#ifdef WEAK_NO_REPLAY_CACHE
#define FRESH(id, ea) true
#else
#define FRESH(id, ea) (!(CACHED(0, id, ea) || CACHED(1, id, ea) || CACHED(2, id, ea)))
#endif

/* A's check of C_B: CA signature, validity, key usage, CN = the expected server name. A C_B
   held by reference passed the same check when A cached it (always its peer's here). */
#ifdef WEAK_NO_NAME_CHECK
#define NAME_OK(srv, peer) true
#else
#define NAME_OK(srv, peer) ((srv) == (peer))
#endif

/* ---- Properties, checked when a session completes (PROP_FS: when the keys leak) ---- */

inline check_A_done(i) {
#ifdef PROP_AGREE_A
  /* A completed with B: a B session answered A's hello (ID_A = A) with the same E_A, E_B,
     ref_B and certificate field, hence the same keys; no other A session completed on it. */
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
     for (k : 0 .. NA - 1) {
       assert(k == i || !(aSt[k] == DONE && aPeer[k] == B && aEB[k] == aEB[i]))
     }
  :: else
  fi;
#endif
#ifdef PROP_SECRECY
  assert(aPeer[i] != B || !A_KNOWS(i));
#endif
  skip
}

inline check_B_done(j) {
#ifdef PROP_AGREE_B
  /* B completed with A: a completed A session that expects B has the same keys; no other B
     session completed on the same (A, E_A). */
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
     for (k : 0 .. NB - 1) {
       assert(k == j || !(bSt[k] == DONE && bId[k] == A && bEA[k] == bEA[j]))
     }
  :: else
  fi;
#endif
#ifdef PROP_SECRECY
  assert(bId[j] != A || !B_KNOWS(j));
#endif
#ifdef PROP_REPLAY
  for (k : 0 .. NB - 1) {
    assert(k == j || !(bSt[k] == DONE && bId[k] == bId[j] && bEA[k] == bEA[j]))
  }
#endif
#if defined(REACH_AB) || defined(REACH_AB_REF)
  /* Sanity (non-vacuity): claims that no honest A-B handshake completes on both sides (with
     REACH_AB_REF: none in which C_B was left out by reference). */
  found = false;
  for (k : 0 .. NA - 1) {
    if
#ifdef REACH_AB_REF
    :: aSt[k] == DONE && aPeer[k] == B && A_KEY(k) == B_KEY(j) && B_C(j) == 0 -> found = true
#else
    :: aSt[k] == DONE && aPeer[k] == B && A_KEY(k) == B_KEY(j) -> found = true
#endif
    :: else
    fi
  }
  assert(!found);
#endif
  skip
}

#ifdef PROP_FS
/* Forward secrecy: both static keys leak now. Every session that completed before, between A
   and B as each side believes, keeps a key the attacker cannot derive even with sk_A and sk_B
   (the ephemeral secrets of completed sessions are gone). */
inline compromise() {
  leaked = 1;
  printf("-- sk_A and sk_B leak\n");
  for (k : 0 .. NA - 1) {
    assert(!(aSt[k] == DONE && aPeer[k] == B && A_KNOWS(k)))
  }
  for (k : 0 .. NB - 1) {
    assert(!(bSt[k] == DONE && bId[k] == A && B_KNOWS(k)))
  }
}
#endif

/* ---- Trail output (spin -t) ---- */
#define NAME(x) ((x) == A -> 'A' : ((x) == B -> 'B' : ((x) == I -> 'I' : '-')))
#define EOWN(e) ((e) <= I -> 'S' : ((e) < EB(0) -> 'A' : ((e) < EI -> 'B' : 'I')))
#define EIDX(e) ((e) <= I -> (e) : ((e) < EB(0) -> (e) - EA(0) : ((e) < EI -> (e) - EB(0) : 0)))

/* ---- Honest handset A ---- */

/* startFs: expected server aPeer (B, or the attacker I); ref_B names the C_B it holds, which is
   its peer's (cached from a verified message 2 or provisioned), or it sends none. */
inline handset_start(i) {
  if
  :: aPeer[i] = B
  :: aPeer[i] = I
  fi;
  if
  :: aRef[i] = 0
  :: aRef[i] = aPeer[i]
  fi;
  aSt[i] = SENT1;
  printf("A%d: start, expects server %c; sends HELLO_E (ID_A=A, E_A=eA%d, ref_B=%c)\n", i, NAME(aPeer[i]), i, NAME(aRef[i]))
}

/* finishFs(message 2): a certificate field c (0: none, only if A sent ref_B: the C_B it holds),
   C_B's checks (name), MAC_B; then the keys and message 3. A rejected message leaves the
   session as it was (see airshake.pml: a superset of behaviours). */
inline handset_on_response(i, eb, c, mac) {
  if
  :: (c != 0 || aRef[i] != 0) && NAME_OK(SRV(aRef[i], c), aPeer[i]) && mac == A_EXPECTS(i, eb, c) ->
     aEB[i] = eb;
     aC[i] = c;
     aSt[i] = DONE;
     printf("A%d: accepts message 2 (E_B=e%c%d, C_B field %c, MAC_B ok); sends record 0; completes with %c\n",
            i, EOWN(eb), EIDX(eb), NAME(c), NAME(aPeer[i]));
     check_A_done(i)
  :: else
  fi
}

/* ---- Honest server B ---- */

/* HELLO_E: C_A enrolled (A's or the attacker's), (ID_A, E_A) fresh; message 2 with E_B = EB(j)
   and C_B unless ref_B names it. */
inline server_on_hello(j, e, r, id) {
  if
  :: (id == A || id == I) && FRESH(id, e) ->
     bEA[j] = e;
     bRef[j] = r;
     bId[j] = id;
     bSt[j] = SENT2;
     printf("B%d: accepts HELLO_E (ID_A=%c, E_A=e%c%d, ref_B=%c); sends message 2 (E_B=eB%d, C_B field %c, MAC_B)\n",
            j, NAME(id), EOWN(e), EIDX(e), NAME(r), j, NAME(B_C(j)))
  :: else
  fi
}

/* Message 3: record 0 authenticates under B's k_AB. */
inline server_on_finish(j, mac) {
  if
  :: mac == B_EXPECTS(j) ->
     bSt[j] = DONE;
     printf("B%d: record 0 authenticates; completes with %c (E_A=e%c%d)\n", j, NAME(bId[j]), EOWN(bEA[j]), EIDX(bEA[j]));
     check_B_done(j)
  :: else
  fi
}

/* ---- The network, run by the Dolev-Yao attacker (as in airshake.pml) ----
   E_A and E_B fields: any public key it knows (its own e_I, the static keys, honest ephemerals
   it has seen: reflection and type confusion included). ref_B: none, C_B's or C_I's. The
   certificate field of message 2: C_B, C_I, or none. The MAC_B / Finished field: the one value
   the receiver accepts if the attacker can derive it, junk otherwise. */
#define DERIVABLE(t, kn) ((kn) || SEEN(t))
#define NEXT_A(x)     ((x) < NA && aSt[x] == IDLE && ((x) == 0 || aSt[(x) - 1] != IDLE))
#define NEXT_B(x)     ((x) < NB && bSt[x] == IDLE && ((x) == 0 || bSt[(x) - 1] != IDLE))
#define WAITING_A(x)  ((x) < NA && aSt[x] == SENT1)
#define WAITING_B(x)  ((x) < NB && bSt[x] == SENT2)

inline pick_key() {
  if
  :: he = A
  :: he = B
  :: he = I
  :: KNOWN_E(4) -> he = 4
  :: KNOWN_E(5) -> he = 5
  :: KNOWN_E(6) -> he = 6
  :: KNOWN_E(7) -> he = 7
  :: KNOWN_E(8) -> he = 8
  :: KNOWN_E(9) -> he = 9
  :: KNOWN_E(10) -> he = 10
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
  :: atomic {  /* HELLO_E to B (no MAC: any fields the attacker can name) */
       if
       :: NEXT_B(0) -> hj = 0
       :: NEXT_B(1) -> hj = 1
       :: NEXT_B(2) -> hj = 2
       fi;
       pick_key();
       if
       :: hr = 0
       :: hr = B
       :: hr = I
       fi;
       if
       :: hid = A
       :: hid = I
       fi;
       server_on_hello(hj, he, hr, hid);
       hj = 0; he = 0; hr = 0; hid = 0
     }
  :: atomic {  /* RESPONSE_E to an A session waiting for it */
       if
       :: WAITING_A(0) -> hi = 0
       :: WAITING_A(1) -> hi = 1
       :: WAITING_A(2) -> hi = 2
       fi;
       pick_key();
       if
       :: aRef[hi] != 0 -> hc = 0   /* C_B left out: A uses the one it holds */
       :: hc = B                    /* C_B (public: B sends it when not referenced) */
       :: hc = I                    /* C_I (the attacker's own) */
       fi;
       hm = (DERIVABLE(A_EXPECTS(hi, he, hc), KNOWS_PRK3(EA(hi), he, A, SRV(aRef[hi], hc))) -> A_EXPECTS(hi, he, hc) : 0);
       handset_on_response(hi, he, hc, hm);
       hi = 0; he = 0; hc = 0
     }
  :: atomic {  /* message 3 to a B session waiting for it */
       if
       :: WAITING_B(0) -> hj = 0
       :: WAITING_B(1) -> hj = 1
       :: WAITING_B(2) -> hj = 2
       fi;
       hm = (DERIVABLE(B_EXPECTS(hj), B_KNOWS(hj)) -> B_EXPECTS(hj) : 0);
       server_on_finish(hj, hm);
       hj = 0
     }
  :: atomic {  /* a B session ends without message 3 */
       if
       :: WAITING_B(0) -> hj = 0
       :: WAITING_B(1) -> hj = 1
       :: WAITING_B(2) -> hj = 2
       fi;
       printf("-- B session %d aborted: its pair leaves the replay cache\n", hj);
       bSt[hj] = ABORTED;
       hj = 0
     }
#ifdef PROP_FS
  :: atomic { compromise(); break }   /* nothing a completed session holds changes after it */
#endif
  od
}
