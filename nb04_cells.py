# %% [markdown]
# ### Detecting concurrent writes: version numbers and siblings
#
# Alice's write above was lost because every replica keeps **one** version per key:
# when two writes arrive that did not see each other, last-write-wins must throw one
# away. Riak (and Dynamo before it) can do something else: keep both and let the
# application merge them. To do that, the store has to tell two situations apart:
#
# - write `B` **happens after** write `A` when `B`'s client had seen `A` (it read the
#   key, got `A`'s value, and wrote something based on it). Then `B` may replace `A`:
#   whatever `A` put in, `B`'s client had the chance to keep.
# - `A` and `B` are **concurrent** when neither client had seen the other's write.
#   Then neither may replace the other. Whether the two requests overlapped in time
#   does not matter; what matters is what each client knew when it wrote.
#
# The store cannot ask the clients what they knew, so it makes them tell it. On a single
# server the bookkeeping is one number per key:
#
# 1. The server keeps a **version number** for each key and raises it by one on every
#    write, storing the written value under the new number.
# 2. A client **reads before it writes**. A read returns every value the server holds
#    for the key, together with the current version number. (The reply to a write
#    carries the same things, so it counts as a read too.)
# 3. A write carries the version number of the client's last read, and the client
#    merges everything that read returned into the value it sends.
# 4. The server drops every value stored under that number or a lower one: the client
#    saw them and merged them. It keeps the values with a higher number, which the
#    client never saw: they are concurrent with this write and stay beside it as
#    **siblings**.
#
# Here is the shopping cart of DDIA chapter 5: two clients fill one cart, each one
# writing what its last reply showed, merged, plus one item. Neither has read anything
# before its first write, so both first writes send version 0.
#
# > **Predict.** Client 2 adds ham with the version it got back when it added eggs.
# > Which of the values stored at that moment will the server drop, and which will it
# > keep? And how many siblings will the cart have after the fifth request?

# %%
from replnb.leaderless import siblings
from replnb.plots.siblings import plot_replica_siblings, plot_siblings

walk = siblings.cart_walkthrough()
walk.set_index("step")[["client", "request", "sent", "version_sent", "version_returned", "siblings", "cart"]]

# %%
plot_siblings(walk)
plt.show()

# %% [markdown]
# Each box is a write, in the lane of the client that sent it, with its version and the
# cart it sent; an arrow comes into it from every value its client had last read, which
# it merged and so replaced. The bottom row is what the server holds after each
# request.
#
# Client 2's first write (`eggs`, version 0) had seen nothing, so the server keeps
# `milk` beside it: two siblings. Client 1 then adds flour to the cart it knew,
# `[milk]`, sending version 1: the server replaces `milk` (version 1) and keeps `eggs`
# (version 2), which client 1 has not seen; the reply shows client 1 both siblings.
# Client 2 had seen versions 1 and 2, merges them, adds ham and replaces both; the
# flour cart (version 3) stays. From then on the cart always has two siblings, because
# each client has seen every write but the other client's latest, and no item is ever
# lost: the client's merge of the final siblings (the `cart` column) holds all five.
# The version number a client sends is exactly the line between what it saw and what
# it did not.
#
# **Removals need tombstones.** A client merges siblings by taking the union of the
# carts. That works for additions, but a removal cannot be told apart from "never
# added": if one sibling still has an item and the other no longer has it, the union
# brings it back. In the next script client 2 reads the cart, then adds eggs on top of
# `[milk]`, while client 1, which has not seen the eggs, removes the milk.

# %%
removal = {label: siblings.cart_walkthrough(siblings.REMOVAL, tombstones=flag)
           for label, flag in [("no tombstones", False), ("tombstones", True)]}
pd.concat({label: table[["client", "request", "sent", "version_sent", "siblings", "cart"]]
           for label, table in removal.items()})

# %% [markdown]
# Without tombstones, client 1's removal is a sibling of client 2's `[milk, eggs]`, and
# the merge of the two is `[milk, eggs]` again: the removed milk is **resurrected**.
# With tombstones, client 1's cart records that this milk was removed (`−milk`), the
# union keeps the record, and the merge leaves the milk out. (The cart of notebook 02
# works the same way: each addition is tagged, a tombstone names the tagged addition it
# removes, so a later addition of the same item is not cancelled.)
#
# #### Across replicas: version vectors
#
# With several replicas accepting writes, one number per key no longer works: replica
# `A`'s version 3 and replica `B`'s version 3 are unrelated writes. Each replica counts
# its own writes instead, and keeps for each key a **version vector**, one counter per
# replica (`{A:2, B:1}` means "the first two writes accepted by `A` and the first one
# accepted by `B`"). The rules are the ones above, with vectors for numbers:
#
# - a write accepted by replica `X` gets a *dot*, `X:n` with `n` one more than the
#   highest `X` counter `X` knows, and carries as its *context* the vector of the
#   client's last read;
# - a sibling is replaced when its dot is inside another sibling's context (the other
#   writer had seen it): that is happens-before, the same test `replnb.metrics` uses
#   everywhere in the course;
# - replicas exchange their siblings and vectors (anti-entropy); each keeps every
#   sibling that no other one replaces and merges the vectors, counter by counter.
#
# The same cart again, now on two replicas: client 1 talks to `A`, client 2 to `B`, and
# the replicas sync twice in between (`sync A → B`: `B` receives `A`'s siblings).

# %%
cart_run = siblings.replicas_walkthrough()
cart_run.steps[["step", "client", "request", "replica", "context", "returned", "siblings"]]

# %%
plot_replica_siblings(cart_run)
plt.show()

# %%
print("replicas converge after anti-entropy:", cart_run.converged,
      "| exchanges that changed something:", cart_run.exchanges)
cart_run.replicas

# %% [markdown]
# In the figure each write sits in the lane of the replica that accepted it, named by
# its dot, with the context its client sent; a dashed arrow is a sync. At step 3, `B`
# receives `A`'s milk: `A:1` and `B:1` are concurrent (neither context
# holds the other's dot), so `B` keeps both. At step 6 the milk arrives at `A` again,
# but `A:2`'s context `{A:1}` says its writer had seen it, so `A` drops it. At the end of
# the script the replicas disagree (`B` still holds `A:1`, which it does not yet know
# was replaced); one more exchange settles it, and both hold the same two siblings,
# whose merge has all five items.
#
# Would another order of exchanges end elsewhere? Three replicas have six directed
# exchanges ("`A` sends to `B`", ...), so there are 6! = 720 orders. Here a third client
# reads at `A` and writes at `C`, and client 1 removes the milk; every order is tried,
# each repeated until nothing changes:

# %%
siblings.every_exchange_order(siblings.THREE_REPLICAS, replicas=3)

# %% [markdown]
# One outcome for every order: keeping what no other sibling replaces does not depend on
# the order in which siblings arrive (the merge is commutative, associative and
# idempotent; `tests/test_siblings.py` checks this, and convergence, on random scripts).
#
# Why counters and not timestamps? A timestamp orders every pair of writes, also
# concurrent ones, so "later" would silently replace "earlier" and one of the two
# writes would be lost, as Alice's was. A per-replica counter only records which writes
# a writer had seen; when neither had seen the other, no counter can put one first, and
# both are kept. And why a dot rather than comparing each sibling's whole vector?
# Two clients that write blindly through the same replica get `{A:1}` and `{A:2}`: as
# vectors the first looks older, yet the second client never saw it. The dot `A:1` is
# not in the second write's context (empty), so both stay siblings. Riak's *dotted
# version vectors* work this way.
#
# **Key points of this section.** A store that keeps siblings loses no acknowledged
# write: a value disappears only when a later writer had read it and merged it. The
# price is paid by the application, which must merge siblings (and keep tombstones for
# removals), and by the clients, which must read before they write and send back what
# they read.
