import { describe, expect, it } from "vitest";
import { cleanName, nameFromFileName, planBulk } from "../src/enrol/names.ts";

const persons = (paths: string[]) => planBulk(paths).map((p) => (p.kind === "photo" ? p.person : `${p.kind}`));

describe("bulk enrolment names", () => {
  it("takes the name from the file name at the top: extension and trailing number dropped", () => {
    expect(nameFromFileName("Mary_Ann_2.jpg")).toBe("Mary Ann");
    expect(nameFromFileName("Mary_Ann.jpg")).toBe("Mary Ann");
    expect(nameFromFileName("Mary Ann (2).JPG")).toBe("Mary Ann");
    expect(nameFromFileName("Mary-Ann-12.png")).toBe("Mary-Ann");
    expect(nameFromFileName("Aaron_Peirsol_0001.jpg")).toBe("Aaron Peirsol");
    expect(nameFromFileName("stuart1.png")).toBe("stuart");
    expect(nameFromFileName("R2D2.jpg")).toBe("R2D"); // a name ending with a number needs a folder
    expect(planBulk(["R2D2/a.jpg"])).toMatchObject([{ person: "R2D2" }]);
    expect(nameFromFileName("Agent_007_3.webp")).toBe("Agent 007");
    expect(nameFromFileName("1234.jpg")).toBe("");
    expect(nameFromFileName("__1.jpg")).toBe("");
    expect(cleanName("  Jos\u0065\u0301__ Garci\u0301a ")).toBe("Jos\u00e9 Garc\u00eda");
  });

  it("takes the innermost folder when there is one", () => {
    expect(persons(["Mary_Ann/photo.jpg", "Mary_Ann/IMG_1234.JPEG", "staff/Bob Smith/2021/x.png"])).toEqual([
      "Mary Ann",
      "Mary Ann",
      "2021",
    ]);
    expect(persons(["Penny\\penny1.png"])).toEqual(["Penny"]);
    // A folder's name keeps its digits.
    expect(persons(["Agent_007/a.jpg"])).toEqual(["Agent 007"]);
  });

  it("drops one folder wrapping everything when it holds person folders", () => {
    expect(persons(["staff/Alice/1.jpg", "staff/Bob_1.jpg", "staff/Bob_2.jpg"])).toEqual(["Alice", "Bob", "Bob"]);
    // Without person folders inside, the one folder is the person.
    expect(persons(["Alice/1.jpg", "Alice/2.jpg"])).toEqual(["Alice", "Alice"]);
  });

  it("ignores folders and system files, refuses non-images and nameless photos", () => {
    const plan = planBulk([
      "Alice/",
      "__MACOSX/Alice/._1.jpg",
      "Alice/.DS_Store",
      ".hidden.jpg",
      "Alice/Thumbs.db",
      "Alice/notes.txt",
      "Alice/1.jpg",
      "0001.jpg",
      "README",
      `${"x".repeat(201)}.jpg`,
    ]);
    expect(plan.map((p) => (p.kind === "refused" ? p.code : p.kind))).toEqual([
      "ignored",
      "ignored",
      "ignored",
      "ignored",
      "ignored",
      "NOT_AN_IMAGE",
      "photo",
      "NO_NAME",
      "NOT_AN_IMAGE",
      "NO_NAME",
    ]);
    expect(plan[0]).toMatchObject({ reason: "folder" });
    expect(plan[1]).toMatchObject({ reason: "system" });
    // The __MACOSX copies do not make a wrapper folder either.
    expect(persons(["__MACOSX/staff/._Bob_1.jpg", "staff/Bob_1.jpg"])).toEqual(["ignored", "staff"]);
  });
});
