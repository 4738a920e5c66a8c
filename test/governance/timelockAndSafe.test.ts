import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, encodeBytes32String, id as keccakId, toBeHex, zeroPadValue, type TransactionReceipt } from "ethers";

import { execSafeTransaction, safeAt } from "../../sdk/governance/safe";
import { scheduleCall, executeCall } from "../../sdk/governance/timelock";
import { ETH, usd } from "../helpers/fixtures";
import { pinNextTimestamp, txTimestamp } from "../helpers/engineHelpers";
import {
  ADMIN_ROLE,
  DAY,
  Switch,
  deployGovernedTwoDayDelay,
  ethParams,
  ethTiers,
  safeOwners,
} from "./governanceHelpers";

// The governance flows end to end on the local chain (DESIGN §11, deploy/deploySystem.ts wireGovernance):
// admin calls go through OpenZeppelin's TimelockController (here with a 2-day minimum delay, as on live
// networks), the guardian is a real 2-of-3 Safe (owners = node accounts 10, 11, 12) driven through
// sdk/governance/safe.ts, and the insurance fund's excess leaves only through the timelock.

const TWO_DAYS = 2n * DAY;
/** TimelockController.OperationState.Ready encoded as `_encodeStateBitmap` does: bytes32(1 << 2). */
const READY_BITMAP = zeroPadValue(toBeHex(1n << 2n), 32);
const PROPOSER_ROLE = keccakId("PROPOSER_ROLE");

async function deployTwoDay() {
  const s = await deployGovernedTwoDayDelay();
  const owners = await safeOwners();
  const eth = s.market(ETH).marketId;
  const engineAddress = await s.engine.getAddress();
  const timelockAddress = await s.timelock.getAddress();
  const engineCall = (fn: string, args: unknown[]) => ({
    target: engineAddress,
    data: s.engine.interface.encodeFunctionData(fn as never, args as never),
  });
  return { ...s, owners, eth, engineAddress, timelockAddress, engineCall };
}

type System = Awaited<ReturnType<typeof deployTwoDay>>;

/** Engine events of a receipt (the Safe's execTransaction wraps the engine call). */
function engineEvents(s: System, receipt: TransactionReceipt) {
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === s.engineAddress.toLowerCase())
    .map((log) => s.engine.interface.parseLog(log)!)
    .map((e) => ({ name: e.name, args: [...e.args] }));
}

describe("Governance timelock and guardian Safe", () => {
  describe("timelock (2-day minimum delay)", () => {
    it("timelocked_param_change_reverts_before_the_delay_and_applies_at_it", async () => {
      const s = await loadFixture(deployTwoDay);
      const params = { ...ethParams(), takerFeeBps: 10n };
      const call = s.engineCall("setMarketParams", [s.eth, params, ethTiers()]);
      const tScheduled = await pinNextTimestamp();
      await expect(s.timelock.connect(s.deployer).schedule(call.target, 0n, call.data, ZeroHash, ZeroHash, TWO_DAYS))
        .to.emit(s.timelock, "CallScheduled")
        .withArgs(
          await s.timelock.hashOperation(call.target, 0n, call.data, ZeroHash, ZeroHash),
          0n,
          call.target,
          0n,
          call.data,
          ZeroHash,
          TWO_DAYS,
        );
      const opId = await s.timelock.hashOperation(call.target, 0n, call.data, ZeroHash, ZeroHash);
      const readyAt = tScheduled + TWO_DAYS;
      expect(await s.timelock.getTimestamp(opId)).to.equal(readyAt);
      const executor = s.timelock.connect(s.traders[0]); // executors are open: anyone

      await expect(executor.execute(call.target, 0n, call.data, ZeroHash, ZeroHash))
        .to.be.revertedWithCustomError(s.timelock, "TimelockUnexpectedOperationState")
        .withArgs(opId, READY_BITMAP);
      // The feed's heartbeat is 1 h, so refresh it before the engine reads the price on execution.
      await time.setNextBlockTimestamp(readyAt - 30n);
      await s.setPrice(ETH, "2000");
      await time.setNextBlockTimestamp(readyAt - 1n);
      await expect(executor.execute(call.target, 0n, call.data, ZeroHash, ZeroHash))
        .to.be.revertedWithCustomError(s.timelock, "TimelockUnexpectedOperationState")
        .withArgs(opId, READY_BITMAP);
      expect((await s.engine.getMarketConfig(s.eth))[1].takerFeeBps).to.equal(5n);

      await time.setNextBlockTimestamp(readyAt);
      const tx = await executor.execute(call.target, 0n, call.data, ZeroHash, ZeroHash);
      expect(await txTimestamp(tx)).to.equal(readyAt);
      await expect(tx).to.emit(s.engine, "MarketParamsSet");
      await expect(tx).to.emit(s.timelock, "CallExecuted").withArgs(opId, 0n, call.target, 0n, call.data);
      expect((await s.engine.getMarketConfig(s.eth))[1].takerFeeBps).to.equal(10n);
      expect(await s.timelock.isOperationDone(opId)).to.equal(true);

      // An operation runs once.
      await expect(executor.execute(call.target, 0n, call.data, ZeroHash, ZeroHash))
        .to.be.revertedWithCustomError(s.timelock, "TimelockUnexpectedOperationState")
        .withArgs(opId, READY_BITMAP);
    });

    it("non_proposers_cannot_schedule", async () => {
      const s = await loadFixture(deployTwoDay);
      const call = s.engineCall("setInsuranceFundTarget", [0n]);
      for (const caller of [s.traders[0], s.keeper, s.owners[0], s.lp]) {
        await expect(s.timelock.connect(caller).schedule(call.target, 0n, call.data, ZeroHash, ZeroHash, TWO_DAYS))
          .to.be.revertedWithCustomError(s.timelock, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, PROPOSER_ROLE);
      }
    });

    it("schedule_with_less_than_the_min_delay_reverts_insufficient_delay", async () => {
      const s = await loadFixture(deployTwoDay);
      const call = s.engineCall("setInsuranceFundTarget", [0n]);
      await expect(
        s.timelock.connect(s.deployer).schedule(call.target, 0n, call.data, ZeroHash, ZeroHash, TWO_DAYS - 1n),
      )
        .to.be.revertedWithCustomError(s.timelock, "TimelockInsufficientDelay")
        .withArgs(TWO_DAYS - 1n, TWO_DAYS);
    });

    it("timelocked_call_outside_parameter_bounds_reverts_on_execute_with_the_engine_error", async () => {
      const s = await loadFixture(deployTwoDay);
      const call = s.engineCall("setGovernanceConfig", [
        { liquidationGracePeriodSeconds: DAY + 1n, maintenanceRampSeconds: DAY },
      ]);
      await scheduleCall(s.timelock.connect(s.deployer), call);
      await time.increase(TWO_DAYS);
      await expect(executeCall(s.timelock, call))
        .to.be.revertedWithCustomError(s.engine, "ParameterOutOfBounds")
        .withArgs(encodeBytes32String("liquidationGracePeriodSeconds"), DAY + 1n, 0n, DAY);
    });
  });

  describe("guardian Safe (2 of 3)", () => {
    it("two_of_three_owners_pause_trading_through_the_safe", async () => {
      const s = await loadFixture(deployTwoDay);
      const [o10, o11, o12] = s.owners;
      const safe = safeAt(s.guardian, o10);
      const nonce = (await safe.nonce()) as bigint;
      const receipt = await execSafeTransaction(
        s.guardian,
        [o10, o11],
        s.engineAddress,
        s.engine.interface.encodeFunctionData("pause", [Switch.Trading]),
      );
      expect(engineEvents(s, receipt)).to.deep.equal([
        { name: "SwitchPaused", args: [BigInt(Switch.Trading), s.guardian] },
      ]);
      expect((await s.engine.pauseState()).trading).to.equal(true);
      expect(await safe.nonce()).to.equal(nonce + 1n);

      // Any two owners will do, executed by either of them.
      const receipt2 = await execSafeTransaction(
        s.guardian,
        [o12, o11],
        s.engineAddress,
        s.engine.interface.encodeFunctionData("pause", [Switch.Withdrawals]),
      );
      expect(engineEvents(s, receipt2)[0].name).to.equal("SwitchPaused");
      expect(await s.engine.withdrawalsPaused()).to.equal(true);
    });

    it("one_signature_reverts_gs020_and_a_non_owner_cosigner_reverts_gs026", async () => {
      const s = await loadFixture(deployTwoDay);
      const [o10] = s.owners;
      const data = s.engine.interface.encodeFunctionData("pause", [Switch.Trading]);
      await expect(execSafeTransaction(s.guardian, [o10], s.engineAddress, data)).to.be.revertedWith("GS020");
      await expect(execSafeTransaction(s.guardian, [o10, s.traders[0]], s.engineAddress, data)).to.be.revertedWith(
        "GS026",
      );
      expect((await s.engine.pauseState()).trading).to.equal(false);
    });

    it("safe_cannot_unpause_the_inner_call_reverts_with_the_missing_admin_role", async () => {
      const s = await loadFixture(deployTwoDay);
      const [o10, o11] = s.owners;
      await execSafeTransaction(
        s.guardian,
        [o10, o11],
        s.engineAddress,
        s.engine.interface.encodeFunctionData("pause", [Switch.Trading]),
      );
      const nonce = (await safeAt(s.guardian, o10).nonce()) as bigint;
      // Safe 1.5 with safeTxGas = 0 and gasPrice = 0 bubbles the inner revert instead of emitting
      // ExecutionFailure, so the whole transaction reverts with the engine's error.
      await expect(
        execSafeTransaction(
          s.guardian,
          [o10, o11],
          s.engineAddress,
          s.engine.interface.encodeFunctionData("unpause", [Switch.Trading]),
        ),
      )
        .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
        .withArgs(s.guardian, ADMIN_ROLE);
      expect((await s.engine.pauseState()).trading).to.equal(true);
      expect(await safeAt(s.guardian, o10).nonce()).to.equal(nonce);
    });

    it("safe_proposes_unpause_to_the_timelock_and_it_executes_after_the_delay", async () => {
      const s = await loadFixture(deployTwoDay);
      const [o10, o11] = s.owners;
      await execSafeTransaction(
        s.guardian,
        [o10, o11],
        s.engineAddress,
        s.engine.interface.encodeFunctionData("pause", [Switch.Trading]),
      );
      const call = s.engineCall("unpause", [Switch.Trading]);
      const salt = keccakId("unpause-trading");
      await execSafeTransaction(
        s.guardian,
        [o10, o11],
        s.timelockAddress,
        s.timelock.interface.encodeFunctionData("schedule", [call.target, 0n, call.data, ZeroHash, salt, TWO_DAYS]),
      );
      const opId = await s.timelock.hashOperation(call.target, 0n, call.data, ZeroHash, salt);
      expect(await s.timelock.isOperationPending(opId)).to.equal(true);
      await expect(executeCall(s.timelock, { ...call, salt }))
        .to.be.revertedWithCustomError(s.timelock, "TimelockUnexpectedOperationState")
        .withArgs(opId, READY_BITMAP);

      await time.increase(TWO_DAYS);
      const tx = s.timelock.execute(call.target, 0n, call.data, ZeroHash, salt);
      await expect(tx).to.emit(s.engine, "SwitchUnpaused").withArgs(Switch.Trading, s.timelockAddress, 0n);
      expect((await s.engine.pauseState()).trading).to.equal(false);
    });
  });

  describe("insurance fund excess", () => {
    it("insurance_excess_is_withdrawn_only_through_the_timelock_and_never_below_target", async () => {
      const s = await loadFixture(deployTwoDay);
      const [o10, o11] = s.owners;
      const donor = s.traders[1];
      await s.engine.connect(donor).donateToInsurance(s.tokens("60000"));
      const target = await s.engine.insuranceFundTarget();
      expect(target).to.equal(usd("50000"));
      const fund = await s.engine.insuranceFund();
      expect(fund).to.equal(usd("60000"));
      const recipient = s.traders[2].address;
      const excess = s.tokens("10000");

      // No direct path: not the deployer, not the Safe, not a trader.
      for (const caller of [s.deployer, s.traders[0]]) {
        await expect(s.engine.connect(caller).withdrawInsuranceExcess(recipient, excess))
          .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, ADMIN_ROLE);
      }
      await expect(
        execSafeTransaction(
          s.guardian,
          [o10, o11],
          s.engineAddress,
          s.engine.interface.encodeFunctionData("withdrawInsuranceExcess", [recipient, excess]),
        ),
      )
        .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
        .withArgs(s.guardian, ADMIN_ROLE);

      const tooMuch = { ...s.engineCall("withdrawInsuranceExcess", [recipient, excess + 1n]), salt: keccakId("1") };
      const exact = { ...s.engineCall("withdrawInsuranceExcess", [recipient, excess]), salt: keccakId("2") };
      await scheduleCall(s.timelock.connect(s.deployer), tooMuch);
      await scheduleCall(s.timelock.connect(s.deployer), exact);
      await time.increase(TWO_DAYS);

      const scale = await s.engine.collateralScale();
      await expect(executeCall(s.timelock, tooMuch))
        .to.be.revertedWithCustomError(s.engine, "InsuranceWithdrawalExceedsExcess")
        .withArgs(fund, target, (excess + 1n) * scale);
      const balanceBefore = await s.collateral.balanceOf(recipient);
      await expect(s.timelock.execute(exact.target, 0n, exact.data, ZeroHash, exact.salt))
        .to.emit(s.engine, "InsuranceWithdrawn")
        .withArgs(recipient, excess, target);
      expect(await s.collateral.balanceOf(recipient)).to.equal(balanceBefore + excess);
      expect(await s.engine.insuranceFund()).to.equal(target);
    });
  });
});
