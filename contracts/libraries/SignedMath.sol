// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SignedMath
/// @notice Signed division with an explicit rounding direction. Solidity's `/` truncates toward zero,
/// which rounds negative results up; every call site here says which way it wants to round instead.
/// Mirrored one to one by `sdk/math/signedMath.ts`.
library SignedMath {
    /// @notice floor(x / d) for d > 0 (toward negative infinity).
    function divFloor(int256 x, int256 d) internal pure returns (int256) {
        int256 q = x / d;
        return (x % d != 0 && x < 0) ? q - 1 : q;
    }

    /// @notice ceil(x / d) for d > 0 (toward positive infinity).
    function divCeil(int256 x, int256 d) internal pure returns (int256) {
        int256 q = x / d;
        return (x % d != 0 && x > 0) ? q + 1 : q;
    }

    /// @notice |x| as uint256.
    function abs(int256 x) internal pure returns (uint256) {
        return x >= 0 ? uint256(x) : uint256(-x);
    }

    /// @notice ceil(x / d) for unsigned values, d > 0.
    function divCeilU(uint256 x, uint256 d) internal pure returns (uint256) {
        return x == 0 ? 0 : (x - 1) / d + 1;
    }

    function min(int256 a, int256 b) internal pure returns (int256) {
        return a < b ? a : b;
    }
}
