// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TraderProxy} from "./TraderProxy.sol";

/// @notice Test-only trader whose fallback and receive always revert: any push payment or callback fails.
contract RevertingFallbackTrader is TraderProxy {
    /// @notice Thrown by every call that reaches the fallback or receive function.
    error Refused();

    fallback() external payable {
        revert Refused();
    }

    receive() external payable {
        revert Refused();
    }
}
