// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title AdlQueue
/// @notice The on-chain ADL ranking of one (market, side): positions ordered by their static
/// bankruptcy-price key, hint-free, in O(1) per insert, remove and step.
///
/// What it orders: for isolated margin, a long's bankruptcy price is B = K + F + L where
/// K = entry − margin/size − fundingIndexAtSettlement − lossIndexAtSettlement is fixed until the position
/// changes, and F, L are the market's funding and loss indices, the same for every long. So ordering
/// longs by K orders them by B at every price and every funding state, and since effective leverage
/// P / (P − B) grows with B, by leverage: the most leveraged long has the highest K. Shorts mirror this
/// (K = entry + margin/|size| − fundingIndex + lossIndex; the most leveraged short has the lowest K).
///
/// Structure: keys are bucketed into ticks that are log-linear in |K| with the sign in front: the tick of
/// a key is its sign, then the position of |K|'s highest set bit, then the next 14 bits, so one tick spans at
/// most 2^-14 ≈ 0.61 bp of |K| and ticks are ordered exactly as keys (negative keys mirror positive ones
/// below them). Keys go negative once a market's cumulative funding (or loss) index passes a position's
/// entry − margin/size (about 100% of the price in cumulative funding, 10 days at the largest allowed rate):
/// they keep their exact order instead of collapsing into one tick.
/// Inside a tick, positions are in insertion order (FIFO, a doubly linked list). Non-empty ticks are
/// found with a three-level bitmap (2^23 ticks → 32,768 words → 128 groups → 1 word), so the most or
/// least leveraged position, and the next one while walking, are found in a constant number of storage
/// reads whatever the number of positions.
///
/// Exactness: the order is exact between ticks and FIFO within a tick, i.e. exact to 0.61 bp of |K|. Since
/// B = K + (the market's indices), that is 0.61 bp × |K| / B of the bankruptcy price: 0.61 bp while the
/// indices are small, about 1.2 bp once cumulative funding reaches the price.
/// Complexity: insert, remove, head and next are O(1); `rankOf` and `lengthOf` (for the ADL lights view)
/// are O(ticks in the same word + words in the same group + groups), at most about 600 storage reads,
/// view only.
library AdlQueue {
    /// @dev Sub-buckets per power of two of the key: 2^14, so a tick spans ≤ 2^-14 of the key.
    uint256 internal constant MANTISSA_BITS = 14;
    uint256 internal constant MANTISSA_MASK = (1 << MANTISSA_BITS) - 1;
    /// @dev Ticks per sign: 256 exponents × 2^14 mantissas. Keys ≥ 0 use [HALF, 2·HALF), keys < 0 [0, HALF).
    uint256 internal constant HALF_TICK_COUNT = 256 << MANTISSA_BITS;
    uint256 internal constant TICK_COUNT = 2 * HALF_TICK_COUNT;
    uint256 internal constant MAX_TICK = TICK_COUNT - 1;

    /// @dev Position of one account in the queue; `tickPlusOne == 0` means absent.
    struct Node {
        uint32 tickPlusOne;
        address prev;
        address next;
    }

    /// @dev FIFO list of the positions in one tick, kept circular (the head is the tail's `next`) so that a
    /// bucket is one storage slot.
    struct Bucket {
        address tail;
        uint64 count;
    }

    struct Queue {
        /// @dev Bit g set ⇔ group g (256 words) has a non-empty tick (128 groups).
        uint256 groupBitmap;
        /// @dev group → bit w set ⇔ word (group·256 + w) has a non-empty tick.
        mapping(uint256 group => uint256) wordBitmaps;
        /// @dev word → bit t set ⇔ tick (word·256 + t) is non-empty.
        mapping(uint256 word => uint256) tickBitmaps;
        /// @dev Positions per word and per group, for ranks.
        mapping(uint256 word => uint256) wordCounts;
        mapping(uint256 group => uint256) groupCounts;
        mapping(uint256 tick => Bucket) buckets;
        mapping(address account => Node) nodes;
    }

    // ───────────────────────── keys ─────────────────────────

    /// @notice The tick of a key: monotone non-decreasing in the key, ≤ 2^-14 relative width of |key|.
    function tickOf(int256 key) internal pure returns (uint256) {
        if (key >= 0) return HALF_TICK_COUNT + _magnitudeTick(uint256(key));
        // −type(int256).min does not fit an int256; its magnitude is 2^255 either way.
        uint256 magnitude = key == type(int256).min ? 1 << 255 : uint256(-key);
        return HALF_TICK_COUNT - 1 - _magnitudeTick(magnitude);
    }

    /// @dev Log-linear bucket of a magnitude: highest set bit, then the next 14 bits (0 for 0).
    function _magnitudeTick(uint256 k) private pure returns (uint256) {
        if (k == 0) return 0;
        uint256 exponent = Math.log2(k);
        uint256 mantissa =
            exponent >= MANTISSA_BITS
                ? (k >> (exponent - MANTISSA_BITS)) & MANTISSA_MASK
                : (k << (MANTISSA_BITS - exponent)) & MANTISSA_MASK;
        return (exponent << MANTISSA_BITS) | mantissa;
    }

    // ───────────────────────── updates ─────────────────────────

    function contains(Queue storage q, address account) internal view returns (bool) {
        return q.nodes[account].tickPlusOne != 0;
    }

    /// @notice True when `account` is queued in the tick `key` maps to: re-keying it would change nothing
    /// but its place inside the tick, so callers skip it.
    function isInTickOf(Queue storage q, address account, int256 key) internal view returns (bool) {
        return q.nodes[account].tickPlusOne == tickOf(key) + 1;
    }

    /// @notice Number of positions in the queue (sums at most 64 group counters; views only).
    function lengthOf(Queue storage q) internal view returns (uint256 total) {
        return _sumGroups(q, q.groupBitmap);
    }

    /// @notice Appends `account` at the tail of its key's tick. The account must not be in the queue.
    function insert(Queue storage q, address account, int256 key) internal {
        uint256 tick = tickOf(key);
        Bucket storage bucket = q.buckets[tick];
        Node storage node = q.nodes[account];
        node.tickPlusOne = uint32(tick + 1);
        address tail = bucket.tail;
        if (tail == address(0)) {
            node.prev = account;
            node.next = account;
            _setTick(q, tick);
        } else {
            address first = q.nodes[tail].next;
            node.prev = tail;
            node.next = first;
            q.nodes[tail].next = account;
            q.nodes[first].prev = account;
        }
        bucket.tail = account;
        bucket.count += 1;
        q.wordCounts[tick >> 8] += 1;
        q.groupCounts[tick >> 16] += 1;
    }

    /// @notice Unlinks `account` if it is in the queue; returns whether it was.
    function remove(Queue storage q, address account) internal returns (bool) {
        Node memory node = q.nodes[account];
        if (node.tickPlusOne == 0) return false;
        uint256 tick = node.tickPlusOne - 1;
        Bucket storage bucket = q.buckets[tick];
        if (bucket.count == 1) {
            delete q.buckets[tick];
            _clearTick(q, tick);
        } else {
            q.nodes[node.prev].next = node.next;
            q.nodes[node.next].prev = node.prev;
            if (bucket.tail == account) bucket.tail = node.prev;
            bucket.count -= 1;
        }
        q.wordCounts[tick >> 8] -= 1;
        q.groupCounts[tick >> 16] -= 1;
        delete q.nodes[account];
        return true;
    }

    // ───────────────────────── walking ─────────────────────────

    /// @notice The first account in ADL order: the highest tick's oldest entry when `highestFirst`
    /// (longs), the lowest tick's oldest entry otherwise (shorts). address(0) when empty.
    function head(Queue storage q, bool highestFirst) internal view returns (address) {
        (bool found, uint256 tick) = highestFirst ? _highestAtOrBelow(q, MAX_TICK) : _lowestAtOrAbove(q, 0);
        return found ? _first(q, tick) : address(0);
    }

    /// @notice The account after `account` in ADL order (which must be in the queue); address(0) at the end.
    function next(Queue storage q, address account, bool highestFirst) internal view returns (address) {
        Node storage node = q.nodes[account];
        uint256 tick = node.tickPlusOne - 1;
        if (q.buckets[tick].tail != account) return node.next;
        bool found;
        uint256 nextTick;
        if (highestFirst) {
            if (tick == 0) return address(0);
            (found, nextTick) = _highestAtOrBelow(q, tick - 1);
        } else {
            if (tick == MAX_TICK) return address(0);
            (found, nextTick) = _lowestAtOrAbove(q, tick + 1);
        }
        return found ? _first(q, nextTick) : address(0);
    }

    /// @notice Number of positions ahead of `account` in ADL order (0 = first), for the lights view.
    function rankOf(Queue storage q, address account, bool highestFirst) internal view returns (uint256 ahead) {
        Node storage node = q.nodes[account];
        uint256 tick = node.tickPlusOne - 1;
        uint256 word = tick >> 8;
        uint256 group = tick >> 16;
        // Ticks ahead within the tick's word, words ahead within its group, groups ahead.
        ahead += _sumBuckets(q, word, _ahead(q.tickBitmaps[word], tick & 0xff, highestFirst));
        ahead += _sumWords(q, group, _ahead(q.wordBitmaps[group], word & 0xff, highestFirst));
        ahead += _sumGroups(q, _ahead(q.groupBitmap, group, highestFirst));
        // Older entries of the same tick.
        for (address cursor = _first(q, tick); cursor != account; cursor = q.nodes[cursor].next) ++ahead;
    }

    /// @dev The oldest entry of a non-empty tick.
    function _first(Queue storage q, uint256 tick) private view returns (address) {
        return q.nodes[q.buckets[tick].tail].next;
    }

    // ───────────────────────── bitmaps ─────────────────────────

    function _setTick(Queue storage q, uint256 tick) private {
        uint256 word = tick >> 8;
        uint256 wordBits = q.tickBitmaps[word];
        q.tickBitmaps[word] = wordBits | (1 << (tick & 0xff));
        if (wordBits != 0) return;
        uint256 group = word >> 8;
        uint256 groupBits = q.wordBitmaps[group];
        q.wordBitmaps[group] = groupBits | (1 << (word & 0xff));
        if (groupBits != 0) return;
        q.groupBitmap |= 1 << group;
    }

    function _clearTick(Queue storage q, uint256 tick) private {
        uint256 word = tick >> 8;
        uint256 wordBits = q.tickBitmaps[word] & ~(1 << (tick & 0xff));
        q.tickBitmaps[word] = wordBits;
        if (wordBits != 0) return;
        uint256 group = word >> 8;
        uint256 groupBits = q.wordBitmaps[group] & ~(1 << (word & 0xff));
        q.wordBitmaps[group] = groupBits;
        if (groupBits != 0) return;
        q.groupBitmap &= ~(1 << group);
    }

    /// @dev Highest non-empty tick ≤ `tick`.
    function _highestAtOrBelow(Queue storage q, uint256 tick) private view returns (bool, uint256) {
        uint256 word = tick >> 8;
        uint256 bits = q.tickBitmaps[word] & _maskAtOrBelow(tick & 0xff);
        if (bits != 0) return (true, (word << 8) | Math.log2(bits));
        uint256 group = word >> 8;
        uint256 words = (word & 0xff) == 0 ? 0 : q.wordBitmaps[group] & _maskAtOrBelow((word & 0xff) - 1);
        if (words == 0) {
            uint256 groups = group == 0 ? 0 : q.groupBitmap & _maskAtOrBelow(group - 1);
            if (groups == 0) return (false, 0);
            group = Math.log2(groups);
            words = q.wordBitmaps[group];
        }
        word = (group << 8) | Math.log2(words);
        return (true, (word << 8) | Math.log2(q.tickBitmaps[word]));
    }

    /// @dev Lowest non-empty tick ≥ `tick`.
    function _lowestAtOrAbove(Queue storage q, uint256 tick) private view returns (bool, uint256) {
        uint256 word = tick >> 8;
        uint256 bits = q.tickBitmaps[word] & ~_maskBelow(tick & 0xff);
        if (bits != 0) return (true, (word << 8) | _lowestBit(bits));
        uint256 group = word >> 8;
        uint256 words = (word & 0xff) == 0xff ? 0 : q.wordBitmaps[group] & ~_maskAtOrBelow(word & 0xff);
        if (words == 0) {
            uint256 groups = group == 0xff ? 0 : q.groupBitmap & ~_maskAtOrBelow(group);
            if (groups == 0) return (false, 0);
            group = _lowestBit(groups);
            words = q.wordBitmaps[group];
        }
        word = (group << 8) | _lowestBit(words);
        return (true, (word << 8) | _lowestBit(q.tickBitmaps[word]));
    }

    /// @dev The bits of `bitmap` strictly ahead of `position` in ADL order.
    function _ahead(uint256 bitmap, uint256 position, bool highestFirst) private pure returns (uint256) {
        return highestFirst ? bitmap & ~_maskAtOrBelow(position) : bitmap & _maskBelow(position);
    }

    function _sumBuckets(Queue storage q, uint256 word, uint256 bits) private view returns (uint256 total) {
        while (bits != 0) {
            uint256 bit = Math.log2(bits);
            total += q.buckets[(word << 8) | bit].count;
            bits &= ~(1 << bit);
        }
    }

    function _sumWords(Queue storage q, uint256 group, uint256 bits) private view returns (uint256 total) {
        while (bits != 0) {
            uint256 bit = Math.log2(bits);
            total += q.wordCounts[(group << 8) | bit];
            bits &= ~(1 << bit);
        }
    }

    function _sumGroups(Queue storage q, uint256 bits) private view returns (uint256 total) {
        while (bits != 0) {
            uint256 bit = Math.log2(bits);
            total += q.groupCounts[bit];
            bits &= ~(1 << bit);
        }
    }

    /// @dev Bits 0..position set.
    function _maskAtOrBelow(uint256 position) private pure returns (uint256) {
        return position == 255 ? type(uint256).max : (1 << (position + 1)) - 1;
    }

    /// @dev Bits 0..position−1 set.
    function _maskBelow(uint256 position) private pure returns (uint256) {
        return (1 << position) - 1;
    }

    function _lowestBit(uint256 bits) private pure returns (uint256) {
        return Math.log2(bits & (~bits + 1));
    }
}
