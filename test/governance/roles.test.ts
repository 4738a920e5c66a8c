import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes, ZeroAddress } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { LOCAL_CONFIG, DEFAULT_ADL } from "../../deploy/config";
import { safeAt } from "../../sdk/governance/safe";
import { scheduleCall, executeCall } from "../../sdk/governance/timelock";
import type { PerpEngine } from "../../typechain-types";
import { deployGovernedSystem, ETH, usd } from "../helpers/fixtures";
import { ADMIN_ROLE, GUARDIAN_ROLE, Switch, impersonate, safeOwners, ethParams, ethTiers } from "./governanceHelpers";

// Who may call what on contracts/PerpEngine.sol (DESIGN §11), on the system exactly as `npm start` deploys
// it (deploy/deploySystem.ts wireGovernance): the TimelockController is the only DEFAULT_ADMIN_ROLE holder,
// the 2-of-3 Safe holds GUARDIAN_ROLE, the deployer renounced everything. Every privileged entry point is
// called by every role that must not reach it and must revert AccessControlUnauthorizedAccount(caller, role)
// with the role it lacks.

type Role = "admin" | "guardian";

interface PrivilegedCall {
  name: string;
  /** The role the call demands: admin-only, or guardian-or-admin (whose error names GUARDIAN_ROLE). */
  role: Role;
  send: (engine: PerpEngine, ctx: CallContext) => Promise<unknown>;
}

interface CallContext {
  eth: string;
  oracle: string;
  caller: string;
}

const SOL = keccak256(toUtf8Bytes("SOL-USD"));
const ETH_PARAMS = ethParams();
const ETH_TIERS = ethTiers();

/** Every privileged entry point, called with arguments that would otherwise succeed. */
const PRIVILEGED: PrivilegedCall[] = [
  { name: "pause(Trading)", role: "guardian", send: (e) => e.pause(Switch.Trading) },
  { name: "pause(Liquidations)", role: "guardian", send: (e) => e.pause(Switch.Liquidations) },
  { name: "pause(Withdrawals)", role: "guardian", send: (e) => e.pause(Switch.Withdrawals) },
  { name: "lowerOpenInterestCap", role: "guardian", send: (e, c) => e.lowerOpenInterestCap(c.eth, usd("1")) },
  { name: "setReduceOnly(true)", role: "guardian", send: (e, c) => e.setReduceOnly(c.eth, true) },
  { name: "unpause(Trading)", role: "admin", send: (e) => e.unpause(Switch.Trading) },
  { name: "unpause(Liquidations)", role: "admin", send: (e) => e.unpause(Switch.Liquidations) },
  { name: "unpause(Withdrawals)", role: "admin", send: (e) => e.unpause(Switch.Withdrawals) },
  { name: "setReduceOnly(false)", role: "admin", send: (e, c) => e.setReduceOnly(c.eth, false) },
  { name: "setMarketParams", role: "admin", send: (e, c) => e.setMarketParams(c.eth, ETH_PARAMS, ETH_TIERS) },
  { name: "settleMarket", role: "admin", send: (e, c) => e.settleMarket(c.eth, usd("2000")) },
  { name: "withdrawInsuranceExcess", role: "admin", send: (e, c) => e.withdrawInsuranceExcess(c.caller, 1n) },
  { name: "setInsuranceFundTarget", role: "admin", send: (e) => e.setInsuranceFundTarget(0n) },
  { name: "setAdlConfig", role: "admin", send: (e) => e.setAdlConfig(DEFAULT_ADL) },
  {
    name: "setGovernanceConfig",
    role: "admin",
    send: (e) => e.setGovernanceConfig({ liquidationGracePeriodSeconds: 0n, maintenanceRampSeconds: 3_600n }),
  },
  { name: "listMarket", role: "admin", send: (e, c) => e.listMarket(SOL, c.oracle, ETH_PARAMS, ETH_TIERS) },
  { name: "setVault", role: "admin", send: (e, c) => e.setVault(c.caller) },
  { name: "grantRole(GUARDIAN_ROLE)", role: "admin", send: (e, c) => e.grantRole(GUARDIAN_ROLE, c.caller) },
  { name: "grantRole(DEFAULT_ADMIN_ROLE)", role: "admin", send: (e, c) => e.grantRole(ADMIN_ROLE, c.caller) },
  { name: "revokeRole(GUARDIAN_ROLE)", role: "admin", send: (e, c) => e.revokeRole(GUARDIAN_ROLE, c.caller) },
];

/** `pause(Trading)` → `pause_trading`, for test names. */
const slug = (callName: string) => callName.replace(/\((\w+)\)/, (_, arg: string) => `_${arg.toLowerCase()}`);

async function deployGoverned() {
  const s = await deployGovernedSystem();
  const [owner10] = await safeOwners();
  const guardianSafe = await impersonate(s.guardian);
  const oracle = await s.market(ETH).adapter.getAddress();
  return { ...s, owner10, guardianSafe, oracle, eth: s.market(ETH).marketId };
}

type Governed = Awaited<ReturnType<typeof deployGoverned>>;

/** The callers that hold no role: [label, signer]. */
function roleless(s: Governed): [string, HardhatEthersSigner][] {
  return [
    ["trader", s.traders[0]],
    ["keeper", s.keeper],
    ["Safe owner EOA (account 10)", s.owner10],
    ["deployer after hand-over", s.deployer],
  ];
}

describe("Governance roles", () => {
  describe("role-less callers", () => {
    for (const call of PRIVILEGED) {
      const role = call.role === "admin" ? "DEFAULT_ADMIN_ROLE" : "GUARDIAN_ROLE";
      it(`${slug(call.name)}_reverts_for_trader_keeper_safe_owner_and_deployer_with_missing_${role}`, async () => {
        const s = await loadFixture(deployGoverned);
        for (const [label, signer] of roleless(s)) {
          const ctx = { eth: s.eth, oracle: s.oracle, caller: signer.address };
          await expect(call.send(s.engine.connect(signer), ctx), label)
            .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
            .withArgs(signer.address, call.role === "admin" ? ADMIN_ROLE : GUARDIAN_ROLE);
        }
      });
    }
  });

  describe("guardian (the Safe)", () => {
    for (const call of PRIVILEGED.filter((c) => c.role === "admin")) {
      it(`${slug(call.name)}_reverts_for_the_guardian_with_missing_DEFAULT_ADMIN_ROLE`, async () => {
        const s = await loadFixture(deployGoverned);
        const ctx = { eth: s.eth, oracle: s.oracle, caller: s.guardian };
        await expect(call.send(s.engine.connect(s.guardianSafe), ctx))
          .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
          .withArgs(s.guardian, ADMIN_ROLE);
      });
    }

    it("guardian_pauses_every_switch_lowers_oi_cap_and_sets_reduce_only", async () => {
      const s = await loadFixture(deployGoverned);
      const engine = s.engine.connect(s.guardianSafe);
      for (const which of [Switch.Trading, Switch.Liquidations, Switch.Withdrawals]) {
        await expect(engine.pause(which)).to.emit(s.engine, "SwitchPaused").withArgs(which, s.guardian);
      }
      const state = await s.engine.pauseState();
      expect([state.trading, state.liquidations, state.withdrawals]).to.deep.equal([true, true, true]);
      const cap = ETH_PARAMS.maxOpenInterestPerSide;
      await expect(engine.lowerOpenInterestCap(s.eth, cap - 1n))
        .to.emit(s.engine, "OpenInterestCapLowered")
        .withArgs(s.eth, cap, cap - 1n, s.guardian);
      await expect(engine.setReduceOnly(s.eth, true))
        .to.emit(s.engine, "ReduceOnlySet")
        .withArgs(s.eth, true, s.guardian);
      expect((await s.engine.marketStatus(s.eth)).reduceOnly).to.equal(true);
    });
  });

  describe("after hand-over", () => {
    it("deployer_holds_no_role_timelock_is_admin_and_safe_is_guardian", async () => {
      const s = await loadFixture(deployGoverned);
      const timelock = await s.timelock.getAddress();
      expect(await s.engine.hasRole(ADMIN_ROLE, s.deployer.address)).to.equal(false);
      expect(await s.engine.hasRole(GUARDIAN_ROLE, s.deployer.address)).to.equal(false);
      expect(await s.engine.hasRole(ADMIN_ROLE, timelock)).to.equal(true);
      expect(await s.engine.hasRole(GUARDIAN_ROLE, timelock)).to.equal(false);
      expect(await s.engine.hasRole(GUARDIAN_ROLE, s.guardian)).to.equal(true);
      expect(await s.engine.hasRole(ADMIN_ROLE, s.guardian)).to.equal(false);
      expect(await s.engine.getRoleAdmin(GUARDIAN_ROLE)).to.equal(ADMIN_ROLE);
      expect(await s.engine.GUARDIAN_ROLE()).to.equal(GUARDIAN_ROLE);
    });

    it("deployment_emits_exactly_the_role_grants_and_the_deployer_renounce", async () => {
      const s = await loadFixture(deployGoverned);
      const from = s.addressBook.startBlock;
      const timelock = await s.timelock.getAddress();
      const granted = await s.engine.queryFilter(s.engine.filters.RoleGranted(), from);
      const revoked = await s.engine.queryFilter(s.engine.filters.RoleRevoked(), from);
      expect(granted.map((e) => [e.args.role, e.args.account, e.args.sender])).to.deep.equal([
        [ADMIN_ROLE, s.deployer.address, s.deployer.address], // constructor
        [GUARDIAN_ROLE, s.guardian, s.deployer.address],
        [ADMIN_ROLE, timelock, s.deployer.address],
      ]);
      expect(revoked.map((e) => [e.args.role, e.args.account, e.args.sender])).to.deep.equal([
        [ADMIN_ROLE, s.deployer.address, s.deployer.address], // renounceRole
      ]);
    });

    it("guardian_safe_is_a_2_of_3_of_accounts_10_11_12", async () => {
      const s = await loadFixture(deployGoverned);
      const safe = safeAt(s.guardian, ethers.provider);
      const owners = (await safeOwners()).map((o) => o.address.toLowerCase());
      const actual = ((await safe.getOwners()) as string[]).map((o) => o.toLowerCase());
      expect([...actual].sort()).to.deep.equal([...owners].sort());
      expect(await safe.getThreshold()).to.equal(2n);
    });

    it("timelock_proposers_are_safe_and_deployer_executors_are_open_and_it_is_its_own_admin", async () => {
      const s = await loadFixture(deployGoverned);
      const tl = s.timelock;
      const timelock = await tl.getAddress();
      const [proposer, canceller, executor, admin] = await Promise.all([
        tl.PROPOSER_ROLE(),
        tl.CANCELLER_ROLE(),
        tl.EXECUTOR_ROLE(),
        tl.DEFAULT_ADMIN_ROLE(),
      ]);
      for (const account of [s.guardian, s.deployer.address]) {
        expect(await tl.hasRole(proposer, account)).to.equal(true);
        expect(await tl.hasRole(canceller, account)).to.equal(true);
      }
      expect(await tl.hasRole(proposer, s.traders[0].address)).to.equal(false);
      expect(await tl.hasRole(executor, ZeroAddress)).to.equal(true);
      expect(await tl.hasRole(admin, timelock)).to.equal(true);
      expect(await tl.hasRole(admin, s.deployer.address)).to.equal(false);
      expect(await tl.getMinDelay()).to.equal(LOCAL_CONFIG.governance.timelockMinDelaySeconds);
    });

    it("deployer_admin_calls_revert_but_the_same_call_through_the_timelock_succeeds", async () => {
      const s = await loadFixture(deployGoverned);
      await expect(s.engine.connect(s.deployer).setInsuranceFundTarget(usd("1")))
        .to.be.revertedWithCustomError(s.engine, "AccessControlUnauthorizedAccount")
        .withArgs(s.deployer.address, ADMIN_ROLE);
      const call = {
        target: await s.engine.getAddress(),
        data: s.engine.interface.encodeFunctionData("setInsuranceFundTarget", [usd("1")]),
      };
      await scheduleCall(s.timelock.connect(s.deployer), call);
      await executeCall(s.timelock.connect(s.traders[0]), call);
      expect(await s.engine.insuranceFundTarget()).to.equal(usd("1"));
    });
  });
});
