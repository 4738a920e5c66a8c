// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PerpInvariants6DecimalsTest} from "../PerpInvariants.t.sol";
import {SystemReader} from "../invariants/SystemReader.sol";
import {Ghosts} from "../ghosts/Ghosts.sol";
import {vm} from "../utils/Vm.sol";

interface VmTime { function unixTime() external view returns (uint256); }

/// Profiling aid (not part of the campaign): gas and wall time of each handler entry point and of the checks.
contract CallCostTest is PerpInvariants6DecimalsTest {
    VmTime constant clock = VmTime(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    event Cost(string what, uint256 gasPerCall, uint256 microsPerCall);

    function _measure(string memory what, uint256 n, function(uint256) internal f) internal {
        uint256 t0 = clock.unixTime();
        uint256 g0 = gasleft();
        for (uint256 i; i < n; ++i) f(uint256(keccak256(abi.encode(what, i))));
        uint256 g = (g0 - gasleft()) / n;
        uint256 us = (clock.unixTime() - t0) * 1000 / n;
        (bool ok, ) = address(0x000000000000000000636F6e736F6c652e6c6f67).staticcall(
            abi.encodeWithSignature("log(string,uint256,uint256)", what, g, us)
        );
        ok;
    }

    function _trade(uint256 s) internal { traderHandler.trade(s, s >> 8, s >> 16, s >> 24, s >> 32); }
    function _price(uint256 s) internal { marketHandler.movePrice(s, s >> 8, s >> 16); }
    function _deposit(uint256 s) internal { traderHandler.deposit(s, s >> 8); }
    function _checks(uint256) internal { _assertAll(); }
    function _read(uint256) internal view { SystemReader.read(layout, SystemReader.Query(0, true, 0, true)); }
    function _readNoAdl(uint256) internal view { SystemReader.read(layout, SystemReader.Query(0, false, 0, true)); }
    function _mirror(uint256) internal view { ghosts.mirror(); }
    function _stress(uint256) internal { Failures memory f = Failures(new bytes32[](20), new string[](20), 0); _checkZeroSumEquityAtStressPrice(f); }
    function _snap(uint256) internal { uint256 id = vm.snapshotState(); vm.revertToStateAndDelete(id); }
    function _empty(uint256) internal view { sys.engine().vaultCashUsd(); }

    function test_costs() public {
        _measure("empty 1 call", 200, _empty);
        _measure("deposit", 50, _deposit);
        _measure("trade", 50, _trade);
        _measure("movePrice", 50, _price);
        _measure("read(with ADL)", 30, _read);
        _measure("read(no ADL)", 30, _readNoAdl);
        _measure("mirror", 30, _mirror);
        _measure("snapshot+revert", 30, _snap);
        _measure("stress zero-sum", 30, _stress);
        _measure("assertAll", 1, _checks);
    }
}
