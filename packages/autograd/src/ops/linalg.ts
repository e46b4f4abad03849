import * as nd from "@typegrad/tensor";
import { ArgumentError } from "@typegrad/tensor";
import { record } from "../node.js";
import { Tensor } from "../tensor.js";
import { primitive, reduceTo } from "./common.js";

/**
 * torch.matmul semantics. Backward promotes 1-d operands to matrices the same way the forward did,
 * multiplies by the transposed partner, and sums broadcast batch dims back to each operand's shape.
 */
export const matmul = primitive("matmul", (a: Tensor, b: Tensor): Tensor => {
  if (!(a instanceof Tensor) || !(b instanceof Tensor))
    throw new ArgumentError("matmul: both operands must be Tensors");
  return record(
    "matmul",
    [a, b],
    nd.matmul(a.data, b.data),
    (g) => {
      const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
      const b2 = b.ndim === 1 ? b.unsqueeze(-1) : b;
      // Re-insert the dims the forward dropped: b's column first, so a 0-d g (1-d·1-d) becomes [1, 1].
      let g2 = g;
      if (b.ndim === 1) g2 = g2.unsqueeze(-1);
      if (a.ndim === 1) g2 = g2.unsqueeze(-2);
      const ga = a.requiresGrad ? reduceTo(g2.matmul(b2.transpose(-1, -2)), a2.shape).reshape(a.shape) : null;
      const gb = b.requiresGrad ? reduceTo(a2.transpose(-1, -2).matmul(g2), b2.shape).reshape(b.shape) : null;
      return [ga, gb];
    },
    { saves: [a, b] },
  );
});
