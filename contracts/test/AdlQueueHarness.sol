// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AdlQueue} from "../adl/AdlQueue.sol";

/// @notice Exposes one AdlQueue for tests and gas benchmarks.
contract AdlQueueHarness {
    using AdlQueue for AdlQueue.Queue;

    AdlQueue.Queue internal queue;

    function insert(address account, int256 key) external {
        queue.insert(account, key);
    }

    function remove(address account) external returns (bool) {
        return queue.remove(account);
    }

    /// @notice Re-key: what a position change does (remove, then insert with the new key).
    function update(address account, int256 key) external {
        queue.remove(account);
        queue.insert(account, key);
    }

    /// @notice Bulk set-up for benchmarks: accounts derived from `firstId`, keys spread by `keyStep`.
    function insertMany(uint160 firstId, uint256 count, int256 firstKey, int256 keyStep) external {
        for (uint256 i; i < count; ++i) {
            queue.insert(address(firstId + uint160(i)), firstKey + int256(i) * keyStep);
        }
    }

    function contains(address account) external view returns (bool) {
        return queue.contains(account);
    }

    function length() external view returns (uint256) {
        return queue.lengthOf();
    }

    function head(bool highestFirst) external view returns (address) {
        return queue.head(highestFirst);
    }

    function next(address account, bool highestFirst) external view returns (address) {
        return queue.next(account, highestFirst);
    }

    function rankOf(address account, bool highestFirst) external view returns (uint256) {
        return queue.rankOf(account, highestFirst);
    }

    function tickOf(int256 key) external pure returns (uint256) {
        return AdlQueue.tickOf(key);
    }

    /// @notice The whole queue in ADL order (tests only).
    function walk(bool highestFirst) external view returns (address[] memory accounts) {
        accounts = new address[](queue.lengthOf());
        address cursor = queue.head(highestFirst);
        for (uint256 i; cursor != address(0); ++i) {
            accounts[i] = cursor;
            cursor = queue.next(cursor, highestFirst);
        }
    }
}
