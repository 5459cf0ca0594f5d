{
  description = "Schmidhuber-lineage experiments: reproducible numpy baselines";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in {
      # `nix develop`, then e.g. `python3 reproduce.py flip-flop` or `cd flip-flop && python3 flip_flop.py`.
      # The packages mirror requirements.txt.
      devShells = forAll (pkgs: {
        default = pkgs.mkShell {
          packages = [
            (pkgs.python3.withPackages (ps: with ps; [ numpy matplotlib pillow pytest pytest-xdist ]))
            pkgs.mdbook
          ];
          MPLBACKEND = "Agg";
        };
      });
    };
}
