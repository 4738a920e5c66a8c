// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TraderProxy} from "./TraderProxy.sol";

/// @notice Test-only trader whose fallback and receive burn all the gas they are given.
contract GasBurningFallbackTrader is TraderProxy {
    uint256 public sink;

    fallback() external payable {
        _burn();
    }

    receive() external payable {
        _burn();
    }

    function _burn() private {
        while (true) {
            unchecked {
                ++sink;
            }
        }
    }
}
